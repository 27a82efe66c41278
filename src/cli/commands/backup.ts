import type { Command } from 'commander';
import { configFrom, UsageError } from '../context.ts';
import { backupSqlite, StoreFileError } from '../../store/backup-sqlite.ts';

/**
 * `cercapec backup <file>`: an online copy of the embedded store, safe while the server runs
 * (src/store/backup-sqlite.ts). A PostgreSQL store is backed up with PostgreSQL's own tools.
 */
export function backupCommand(program: Command): void {
  program
    .command('backup <file>')
    .description('copy the embedded store to <file> while it runs (PostgreSQL: use pg_dump)')
    .option('--data <dir>', 'data folder of the embedded store (env CERCAPEC_DATA_DIR)')
    .option('--database <url>', 'postgres://... (env CERCAPEC_DATABASE_URL): refused, use pg_dump')
    .option('--force', 'overwrite <file> if it exists')
    .action(async (file: string, opts) => {
      const config = configFrom(opts);
      if (config.databaseUrl) {
        throw new UsageError(
          'the store is PostgreSQL: back it up with pg_dump, e.g. pg_dump --format=custom --file=cercapec.dump "$CERCAPEC_DATABASE_URL" (see docs/deployment.md)',
        );
      }
      try {
        const result = await backupSqlite(config.dataDir, file, { overwrite: Boolean(opts.force) });
        console.log(`backup written: ${result.file} (${result.bytes} bytes, ${result.pages} pages, checked)`);
      } catch (error) {
        if (error instanceof StoreFileError) throw new UsageError(error.message);
        throw error;
      }
    });
}
