import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createServices, webhookWorkerOptions, type ServiceOverrides, type Services } from './services.ts';
import { buildApp } from './app.ts';
import { createWorker, type Worker } from './queue/worker.ts';
import { createLookupHandler } from './lookups/process-lookup.ts';
import { LOOKUP_QUEUE } from './lookups/lookup-status.ts';
import { createMaintenance, type Maintenance } from './queue/maintenance.ts';
import { purgeExpiredTask } from './privacy/purge-expired.ts';
// webhooks
import { createWebhookWorker } from './webhooks/webhook-worker.ts';
import { purgeWebhookDeliveriesTask } from './webhooks/purge-deliveries.ts';
import { purgeRegistryCacheTask } from './registries/purge-cache.ts';
import { createBatchSweeper, type BatchSweeper } from './batches/batch-sweeper.ts';
import { purgeAuditTask } from './audit/purge-audit.ts';
// watches and history
import { purgeHistoryTask } from './history/purge-history.ts';
import { chargeWatchesTask } from './watches/charge-watches.ts';
import { createRecheckHandler } from './watches/recheck-job.ts';
import { WATCH_QUEUE } from './directory/dataset-changed.ts';
import { parseRecheckHours } from './watches/recheck-remote.ts';
import { scheduleRechecksTask } from './watches/schedule-rechecks.ts';

export interface RunningServer {
  services: Services;
  app: FastifyInstance | null;
  worker: Worker | null;
  /** Delivers webhooks (role worker or all), apart from the lookup worker. */
  webhookWorker: Worker | null;
  /** Re-checks watched codes when a source's data change (watches/recheck-job.ts). */
  watchWorker: Worker | null;
  /** http://host:port when the API role listens. */
  url: string | null;
  close(): Promise<void>;
}

/**
 * The process entry of `cercapec serve`: the HTTP API (role api), the queue workers (role
 * worker), or both (all, the default). Closing stops accepting, lets running jobs finish for a
 * bounded time and hands back the rest.
 */
export async function startServer(config: Config, overrides: ServiceOverrides = {}, prepare?: (s: Services) => Promise<void>): Promise<RunningServer> {
  const services = await createServices(config, overrides);
  if (prepare) await prepare(services);
  let worker: Worker | null = null;
  let webhookWorker: Worker | null = null;
  let watchWorker: Worker | null = null;
  let maintenance: Maintenance | null = null;
  let batchSweeper: BatchSweeper | null = null;
  if (config.role !== 'api') {
    maintenance = createMaintenance({
      store: services.store,
      clock: services.clock,
      logger: services.logger,
      tasks: [
        purgeExpiredTask(config.retentionDays),
        purgeWebhookDeliveriesTask(config.retentionDays),
        purgeRegistryCacheTask(),
        purgeAuditTask(config.retentionDays),
        purgeHistoryTask(config.retentionDays),
        chargeWatchesTask(),
        scheduleRechecksTask(parseRecheckHours(config.watchRecheckHours), (id) => services.registries.sources.some((s) => s.id === id)),
        ...services.registries.tasks,
      ],
    });
    maintenance.start();
    worker = createWorker({
      store: services.store,
      clock: services.clock,
      logger: services.logger,
      notifier: services.notifier,
      queue: LOOKUP_QUEUE,
      handler: createLookupHandler({ ...services.lookups, chainFor: services.chainFor, deadlineMs: services.registries.deadlineMs }),
      concurrency: config.workerConcurrency,
      leaseMs: config.leaseMs,
      pollIntervalMs: config.pollIntervalMs,
      backoffBaseMs: config.backoffBaseMs,
    });
    worker.start();
    webhookWorker = createWebhookWorker(webhookWorkerOptions(config, services));
    webhookWorker.start();
    watchWorker = createWorker({
      store: services.store,
      clock: services.clock,
      logger: services.logger,
      notifier: services.notifier,
      queue: WATCH_QUEUE,
      handler: createRecheckHandler({ ...services, remoteSource: (id) => services.registries.sources.find((s) => s.id === id) }),
      // One walk at a time: slices of one source follow each other, and the writer is shared.
      concurrency: 1,
      leaseMs: Math.max(config.leaseMs, 300_000),
      pollIntervalMs: Math.min(config.pollIntervalMs * 10, 30_000),
      backoffBaseMs: config.backoffBaseMs,
    });
    watchWorker.start();
    batchSweeper = createBatchSweeper({ deps: services.lookups, logger: services.logger });
    batchSweeper.start();
  }
  let app: FastifyInstance | null = null;
  let url: string | null = null;
  if (config.role !== 'worker') {
    app = await buildApp(services);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    if (address && typeof address === 'object') {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}`;
    }
  }
  return {
    services,
    app,
    worker,
    webhookWorker,
    watchWorker,
    url,
    async close() {
      await app?.close();
      await Promise.all([worker?.stop(5000), webhookWorker?.stop(5000), watchWorker?.stop(5000), batchSweeper?.stop()]);
      await maintenance?.stop();
      await services.close();
    },
  };
}
