import type { Command } from 'commander';
import { storeOptions, UsageError, withStore } from '../context.ts';
import { importDataset, listDatasets } from '../../directory/import-dataset.ts';
import { systemClock } from '../../clock.ts';
import { resolveAccount } from '../../accounts/accounts.ts';

export function importCommand(program: Command): void {
  storeOptions(program.command('import <file>').description('import a dataset into the local directory (same name: replaced atomically)'))
    .requiredOption('--format <format>', 'csv (codice_fiscale,pec) or ipa-enti')
    .option('--name <name>', 'dataset name (default: the file name)')
    .option('--name-column <column>', "the column with each code's name: the dataset becomes searchable by name (GET /v1/search)")
    .option('--account <account>', 'the account (id or name) the dataset is for: only it finds these names in a search (API, portal)')
    .option('--show-rejected <n>', 'how many rejected rows to list', '20')
    .action(async (file: string, opts) => {
      if (opts.format !== 'csv' && opts.format !== 'ipa-enti') throw new UsageError('--format must be csv or ipa-enti');
      await withStore(opts, async (store) => {
        const accountId = opts.account === undefined ? undefined : (await resolveAccount(store, opts.account)).id;
        const report = await importDataset(store, systemClock, { file, format: opts.format, name: opts.name, nameColumn: opts.nameColumn, accountId });
        console.log(
          `dataset ${report.name} (${report.datasetId})${accountId ? ` for account ${accountId}` : ''}${report.replaced ? ', replacing the previous one' : ''}`,
        );
        console.log(`rows read: ${report.rowsRead}`);
        console.log(`addresses imported: ${report.entriesImported}`);
        console.log(`rows rejected: ${report.rowsRejected}`);
        if (opts.nameColumn !== undefined) console.log(`names searchable: ${report.namesIndexed}`);
        for (const r of report.rejected.slice(0, Number(opts.showRejected) || 0)) console.log(`  line ${r.line}: ${r.reason}`);
      });
    });

  storeOptions(program.command('datasets').description('datasets of the local directory')).action(async (opts) => {
    await withStore(opts, async (store) => {
      for (const d of await listDatasets(store)) {
        console.log(
          [
            d.name,
            d.format,
            d.account_id ?? 'all accounts',
            d.rows_imported,
            `rejected ${d.rows_rejected}`,
            new Date(Number(d.imported_at)).toISOString(),
          ].join('\t'),
        );
      }
    });
  });
}
