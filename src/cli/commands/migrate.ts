import type { Command } from 'commander';
import { configFrom, storeOptions } from '../context.ts';
import { openConfiguredStore } from '../../store/store.ts';
import { migrateToLatest } from '../../store/migrate.ts';

export function migrateCommand(program: Command): void {
  storeOptions(program.command('migrate').description('apply pending database migrations')).action(async (opts) => {
    const config = configFrom(opts);
    const store = await openConfiguredStore(config, { migrate: false });
    try {
      const applied = await migrateToLatest(store.db, config.databaseUrl ? config.databaseSchema : undefined);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
    } finally {
      await store.close();
    }
  });
}
