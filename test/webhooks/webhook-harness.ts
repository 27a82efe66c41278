import { EventEmitter, once } from 'node:events';
import type { Config } from '../../src/config.ts';
import type { JobHandler, Worker } from '../../src/queue/worker.ts';
import { createWebhookHandler, type WebhookDeliveryDeps } from '../../src/webhooks/delivery-handler.ts';
import { createWebhookWorker } from '../../src/webhooks/webhook-worker.ts';
import { webhookDeliveryDeps, webhookWorkerOptions } from '../../src/services.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import type { DialectName } from '../helpers/stores.ts';

export interface WebhookHarness extends Harness {
  /** The webhook worker, built as the server builds it; not started. */
  webhooks: Worker;
  /** Resolves with the delivery id when the webhook worker finishes its next attempt. Subscribe before causing it. */
  nextRun(): Promise<string>;
  /** The JSON API over HTTP with the given key. */
  call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/**
 * The service with its webhook worker, on a manual clock. Loopback callbacks are allowed (the
 * receivers of the tests listen on 127.0.0.1) and lookups go through the queue, so that a test
 * decides when each is answered.
 */
export async function createWebhookHarness(
  dialect: DialectName,
  overrides: Partial<Config> = {},
  deps: Partial<WebhookDeliveryDeps> = {},
): Promise<WebhookHarness> {
  const h = await createHarness(dialect, { allowPrivateCallbacks: true, inlineAnswers: false, ...overrides });
  const closeHarness = h.close;
  const runs = new EventEmitter();
  const inner = createWebhookHandler({ ...webhookDeliveryDeps(h.services.config, h.services), ...deps });
  // Awaitable attempts: run() resolves after the attempt's transaction committed.
  const handler: JobHandler = {
    ...inner,
    async run(job, ctx) {
      try {
        await inner.run(job, ctx);
      } finally {
        runs.emit('run', (job.payload as { deliveryId: string }).deliveryId);
      }
    },
  };
  const webhooks = createWebhookWorker(webhookWorkerOptions(h.services.config, h.services, handler));
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  return Object.assign(h, {
    webhooks,
    nextRun: async () => (await once(runs, 'run'))[0] as string,
    async call(key: string, method: string, path: string, body?: unknown) {
      const r = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await webhooks.stop(1000);
      await closeHarness();
    },
  });
}
