import type { Command } from 'commander';
import { openStore, type Store } from '../../store/store.ts';
import { copyStore } from '../../store/copy-store.ts';

/** A postgres:// URL names a database; anything else is the data folder of an embedded store. */
function openLocation(location: string, schema?: string): Promise<Store> {
  return /^postgres(ql)?:\/\//.test(location)
    ? openStore({ databaseUrl: location, dataDir: '', schema })
    : openStore({ dataDir: location });
}

export function copyStoreCommand(program: Command): void {
  program
    .command('copy-store')
    .description('copy a whole installation between stores: embedded (data folder) <-> PostgreSQL (URL)')
    .requiredOption('--from <dir|url>', 'source: a data folder or postgres://...')
    .requiredOption('--to <dir|url>', 'target: a data folder or postgres://... (must be empty unless --replace)')
    .option('--from-schema <name>', 'PostgreSQL schema of the source')
    .option('--to-schema <name>', 'PostgreSQL schema of the target')
    .option('--replace', 'empty the target first')
    .action(async (opts) => {
      const from = await openLocation(opts.from, opts.fromSchema);
      try {
        const to = await openLocation(opts.to, opts.toSchema);
        try {
          const counts = await copyStore(from, to, { replace: Boolean(opts.replace) });
          for (const [table, n] of Object.entries(counts)) console.log(`${table}\t${n}`);
          console.log(`total\t${Object.values(counts).reduce((a, b) => a + b, 0)}`);
          console.log(`copied ${from.description} -> ${to.description}`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}
