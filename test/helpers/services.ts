import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createServices, type ServiceOverrides, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { createWorker, type Worker } from '../../src/queue/worker.ts';
import { createLookupHandler } from '../../src/lookups/process-lookup.ts';
import { LOOKUP_QUEUE } from '../../src/lookups/lookup-status.ts';
import { openTestStore, type DialectName, type TestStore } from './stores.ts';
import type { FastifyInstance } from 'fastify';
import { TEST_PASSWORD_HASH_COST } from './password-cost.ts';

export interface Harness {
  services: Services;
  store: TestStore;
  clock: ManualClock;
  app: FastifyInstance;
  worker: Worker;
  /** Creates an account and returns its id and key. */
  account(
    input?: Partial<{
      name: string;
      billingMode: 'prepaid' | 'postpaid';
      priceCents: number;
      initialCreditCents: number;
      creditLimitCents: number | null;
      operatorFallback: boolean;
      defaultReference: string | null;
    }>,
  ): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

/**
 * The whole service on a test store, built as it runs (buildApp, the lookup worker), with a
 * manual clock and a silent logger. The worker is created but not started: tests start it
 * when they want answers, or drain the queue step by step.
 */
export async function createHarness(
  dialect: DialectName = 'sqlite',
  overrides: Partial<Config> = {},
  serviceOverrides: Pick<ServiceOverrides, 'registriesFile' | 'sourceDefinitions' | 'sleep' | 'logger'> = {},
): Promise<Harness> {
  const store = await openTestStore(dialect);
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 9, 0, 0));
  // Inline answers off by default: most suites test the queue path; the inline path has its own tests.
  const config = loadConfig(
    {
      rateLimitPerKey: 0,
      rateLimitPerIp: 0,
      keyCacheMs: 0,
      authFailuresPerMinute: 0,
      logLevel: 'silent',
      pollIntervalMs: 20,
      leaseMs: 60_000,
      inlineAnswers: false,
      passwordHashCost: TEST_PASSWORD_HASH_COST,
      ...overrides,
    },
    {},
  );
  const services = await createServices(config, { clock, store, logger: pino({ level: 'silent' }), ...serviceOverrides });
  const app = await buildApp(services);
  const worker = createWorker({
    store,
    clock,
    logger: services.logger,
    notifier: services.notifier,
    queue: LOOKUP_QUEUE,
    handler: createLookupHandler({ ...services.lookups, chainFor: services.chainFor, deadlineMs: services.registries.deadlineMs }),
    concurrency: 2,
    pollIntervalMs: 20,
    leaseMs: config.leaseMs,
  });
  let n = 0;
  return {
    services,
    store,
    clock,
    app,
    worker,
    async account(input = {}) {
      const { account, key } = await createAccount(store, clock.now(), {
        name: input.name ?? `cliente ${++n}`,
        billingMode: input.billingMode ?? 'prepaid',
        priceCents: input.priceCents ?? 10,
        initialCreditCents: input.initialCreditCents ?? 1000,
        creditLimitCents: input.creditLimitCents ?? null,
        operatorFallback: input.operatorFallback,
        defaultReference: input.defaultReference,
      });
      return { id: account.id, key: key.key };
    },
    async close() {
      await worker.stop(1000);
      await app.close();
      await services.close();
      await store.destroy();
    },
  };
}
