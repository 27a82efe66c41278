import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { openConfiguredStore, type Store } from '../store/store.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

/** Options every command that touches the store accepts. */
export function storeOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder of the embedded store (env CERCAPEC_DATA_DIR)')
    .option('--database <url>', 'postgres://... to use PostgreSQL (env CERCAPEC_DATABASE_URL)')
    .option('--schema <name>', 'PostgreSQL schema (env CERCAPEC_DATABASE_SCHEMA)');
}

export function configFrom(opts: Record<string, unknown>, extra: Partial<Record<keyof Config, unknown>> = {}): Config {
  return loadConfig({ dataDir: opts.data, databaseUrl: opts.database, databaseSchema: opts.schema, ...extra });
}

/** Opens the store for one admin command and always closes it. */
export async function withStore<T>(opts: Record<string, unknown>, fn: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = await openConfiguredStore(config);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

export function parseCents(value: string, what: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${what} must be a whole number of cents, e.g. 1000 for 10.00 euro`);
  return Number(value);
}
