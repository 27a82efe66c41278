import type { Command } from 'commander';
import { configFrom, UsageError } from '../context.ts';
import { StoreFileError } from '../../store/backup-sqlite.ts';
import { restoreSqlite } from '../../store/restore-sqlite.ts';

/**
 * `cercapec restore <file>`: puts a backup made by `cercapec backup` in place of the embedded
 * store, keeping the old one as cercapec.sqlite.bak (src/store/restore-sqlite.ts). Refused
 * while a server or an admin command has the store open, and for PostgreSQL (pg_restore).
 */
export function restoreCommand(program: Command): void {
  program
    .command('restore <file>')
    .description('replace the embedded store with a backup; the server must be stopped (PostgreSQL: use pg_restore)')
    .option('--data <dir>', 'data folder of the embedded store (env CERCAPEC_DATA_DIR)')
    .option('--database <url>', 'postgres://... (env CERCAPEC_DATABASE_URL): refused, use pg_restore')
    .action(async (file: string, opts) => {
      const config = configFrom(opts);
      if (config.databaseUrl) {
        throw new UsageError(
          'the store is PostgreSQL: restore it with pg_restore, e.g. pg_restore --clean --if-exists --dbname="$CERCAPEC_DATABASE_URL" cercapec.dump (see docs/deployment.md)',
        );
      }
      try {
        const result = await restoreSqlite(config.dataDir, file);
        console.log(`restored ${file} into ${result.file} (migrations: ${result.migrations.join(', ')})`);
        if (result.previous) console.log(`the previous store is kept as ${result.previous}`);
      } catch (error) {
        if (error instanceof StoreFileError) throw new UsageError(error.message);
        throw error;
      }
    });
}
