import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Notifier } from '../queue/notifier.ts';
import type { Store } from '../store/store.ts';
import type { JobHandler } from '../queue/worker.ts';
import { createWorker, type Worker } from '../queue/worker.ts';
import { WEBHOOK_QUEUE } from './webhook-status.ts';

export interface WebhookWorkerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  /** The delivery job (createWebhookHandler). */
  handler: JobHandler;
  /** Deliveries one worker process makes at once. */
  concurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  /** The worker's own backoff, for store errors only. */
  backoffBaseMs: number;
  backoffCapMs: number;
}

/**
 * The webhook worker: a queue and worker of their own, so a slow or dead receiver never delays
 * an answer. Its own backoff applies to store errors only; failed attempts are rescheduled by
 * the handler (see delivery-handler.ts).
 */
export function createWebhookWorker(o: WebhookWorkerOptions): Worker {
  return createWorker({ ...o, queue: WEBHOOK_QUEUE });
}
