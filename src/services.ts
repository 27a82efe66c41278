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
import { buildRegistries, type Registries } from './registries/build-registries.ts';
import { loadRegistriesFile, parseRegistriesFile } from './registries/registries-file.ts';
import { createRegistryMetrics, type RegistryMetrics } from './registries/metrics.ts';
import type { SourceDefinition } from './registries/source-definition.ts';
import { createLogger } from './logger.ts';
import { createLanedGroupCommit } from './store/group-commit.ts';
import { batchSettler } from './batches/settle-batches.ts';
import { acceptLookups, type Acceptance, type PreparedSubmission } from './lookups/accept-lookups.ts';
import type { JobHandler } from './queue/worker.ts';
import { createWebhookHandler, type WebhookDeliveryDeps } from './webhooks/delivery-handler.ts';
import type { WebhookWorkerOptions } from './webhooks/webhook-worker.ts';

/** Everything the app, the workers and the CLI share, built once and passed down. */
export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  notifier: Notifier;
  lookups: LookupDeps;
  chainFor(kind: 'cf16' | 'cf11'): readonly Registry[];
  /** The configured sources with their guards, deadline and health. */
  registries: Registries;
  metrics: RegistryMetrics;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  logger?: Logger;
  store?: Store;
  /** The registries file's content, instead of reading config.registriesFile (tests). */
  registriesFile?: unknown;
  /** Source kinds instead of the catalog's (tests). */
  sourceDefinitions?: readonly SourceDefinition[];
  /** Waits between a source's in-call retries (tests pass an immediate one). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  // The server's commits are on its requests' path: WAL checkpoints go to a thread of their own.
  const store = overrides.store ?? (await openConfiguredStore(config, { checkpointInBackground: true }));
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
  // Another process revoked a key or changed an account (PostgreSQL NOTIFY): cached keys are stale.
  const stopAuthWatch = notifier.onAuthChanged(() => store.authEpoch.bump());
  const metrics = createRegistryMetrics({ defaultMetrics: !overrides.store });
  let registries: Registries;
  try {
    registries = buildRegistries({
      store,
      clock,
      logger,
      metrics,
      loaded:
        overrides.registriesFile !== undefined
          ? { file: parseRegistriesFile(overrides.registriesFile), baseDir: '.' }
          : config.registriesFile
            ? loadRegistriesFile(config.registriesFile)
            : undefined,
      definitions: overrides.sourceDefinitions,
      sleep: overrides.sleep,
    });
  } catch (error) {
    await notifier.close();
    if (!overrides.store) await store.close();
    throw error;
  }
  const directory = createLocalDirectory(store);
  const directoryOnly = (kind: 'cf16' | 'cf11') => registries.chainFor(kind).every((s) => s.id === 'directory');
  const lookups: LookupDeps = {
    store,
    clock,
    notifier,
    logger,
    maxAttempts: config.maxAttempts,
    inline: config.inlineAnswers ? { chainFor: () => [directory], isWholeChain: directoryOnly } : undefined,
  };
  // SQLite has one writer: one group at a time, which collects everything that arrives while it
  // writes. PostgreSQL writes a few groups at once, in lanes by account: each group locks its
  // accounts' rows (in id order), so one account's submissions share a group rather than queue
  // on its row lock in several. One group per lane: a group is one statement (the one-statement
  // accept), so a second group in flight only waited at the row lock, and halved the groups: each
  // pays the statement's fixed cost (plan check, executor start, the commit) and its read of the
  // requests it might duplicate, so two groups per lane cost more CPU per submission on both sides
  // (docs/benchmarks.md, session 10).
  const accepting = createLanedGroupCommit<PreparedSubmission, Acceptance>({
    maxGroup: 256,
    lanes: store.dialect.name === 'sqlite' ? 1 : Math.max(1, Math.floor(config.databasePoolSize / 3)),
    keyOf: (submission) => submission.account.id,
    run: (items) => acceptLookups(lookups, items),
  });
  lookups.accept = (submission) => accepting.submit(submission);
  lookups.settled = batchSettler({ store, clock, notifier, logger });
  return {
    config,
    clock,
    logger,
    store,
    notifier,
    lookups,
    chainFor: (kind) => registries.chainFor(kind),
    registries,
    metrics,
    async close() {
      await accepting.drain();
      stopAuthWatch();
      await registries.close();
      await notifier.close();
      if (!overrides.store) await store.close();
    },
  };
}

/** What the webhook delivery job needs, from the configuration. */
export function webhookDeliveryDeps(config: Config, services: Pick<Services, 'store' | 'clock' | 'logger'>): WebhookDeliveryDeps {
  return {
    store: services.store,
    clock: services.clock,
    logger: services.logger,
    timeoutMs: config.webhookTimeoutMs,
    retryWindowMs: config.webhookRetryWindowMs,
    backoffBaseMs: config.webhookBackoffBaseMs,
    backoffCapMs: config.webhookBackoffCapMs,
    allowPrivate: config.allowPrivateCallbacks,
  };
}

/** The webhook worker's options, from the configuration; `handler` replaces the delivery job (tests). */
export function webhookWorkerOptions(
  config: Config,
  services: Pick<Services, 'store' | 'clock' | 'logger' | 'notifier'>,
  handler?: JobHandler,
): WebhookWorkerOptions {
  return {
    store: services.store,
    clock: services.clock,
    logger: services.logger,
    notifier: services.notifier,
    handler: handler ?? createWebhookHandler(webhookDeliveryDeps(config, services)),
    concurrency: config.webhookConcurrency,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    backoffBaseMs: config.webhookBackoffBaseMs,
    backoffCapMs: config.webhookBackoffCapMs,
  };
}
