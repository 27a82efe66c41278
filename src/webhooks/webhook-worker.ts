import type { Config } from '../config.ts';
import type { Services } from '../services.ts';
import type { JobHandler } from '../queue/worker.ts';
import { createWorker, type Worker } from '../queue/worker.ts';
import { createWebhookHandler, type WebhookDeliveryDeps } from './delivery-handler.ts';
import { WEBHOOK_QUEUE } from './webhook-status.ts';

/** What the delivery job needs, from the configuration. */
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

/**
 * The webhook worker: a queue and worker of their own, so a slow or dead receiver never delays
 * an answer. Its own backoff applies to store errors only; failed attempts are rescheduled by
 * the handler (see delivery-handler.ts).
 */
export function createWebhookWorker(config: Config, services: Pick<Services, 'store' | 'clock' | 'logger' | 'notifier'>, handler?: JobHandler): Worker {
  return createWorker({
    store: services.store,
    clock: services.clock,
    logger: services.logger,
    notifier: services.notifier,
    queue: WEBHOOK_QUEUE,
    handler: handler ?? createWebhookHandler(webhookDeliveryDeps(config, services)),
    concurrency: config.webhookConcurrency,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    backoffBaseMs: config.webhookBackoffBaseMs,
    backoffCapMs: config.webhookBackoffCapMs,
  });
}
