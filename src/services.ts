import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { openConfiguredStore, type Store } from './store/store.ts';
import { createLocalNotifier, type Notifier } from './queue/notifier.ts';
import { createPgNotifier } from './queue/pg-notifier.ts';
import type { LookupDeps } from './lookups/lookup-deps.ts';
import type { Registry } from './registries/registry.ts';
import { createLocalDirectory } from './registries/local-directory.ts';
import { createLogger } from './logger.ts';

/** Everything the app, the workers and the CLI share, built once and passed down. */
export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  notifier: Notifier;
  lookups: LookupDeps;
  chainFor(kind: 'cf16' | 'cf11'): readonly Registry[];
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  logger?: Logger;
  store?: Store;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const store = overrides.store ?? (await openConfiguredStore(config));
  // Processes sharing a PostgreSQL database wake each other; on SQLite one process serves.
  // A store passed in without a databaseUrl (tests) keeps the in-process notifier.
  let notifier: Notifier;
  try {
    notifier =
      store.dialect.name === 'postgres' && config.databaseUrl
        ? await createPgNotifier({ url: config.databaseUrl, schema: config.databaseSchema, logger })
        : createLocalNotifier();
  } catch (error) {
    if (!overrides.store) await store.close();
    throw error;
  }
  const directory = createLocalDirectory(store);
  const chain = [directory];
  const lookups: LookupDeps = {
    store,
    clock,
    notifier,
    logger,
    maxAttempts: config.maxAttempts,
    inline: config.inlineAnswers ? { chainFor: () => [directory], isWholeChain: () => chain.length === 1 } : undefined,
  };
  return {
    config,
    clock,
    logger,
    store,
    notifier,
    lookups,
    chainFor: () => chain,
    async close() {
      await notifier.close();
      if (!overrides.store) await store.close();
    },
  };
}
