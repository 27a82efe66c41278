import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { WebhookDeliveriesTable } from '../store/schema.ts';
import type { Job } from '../queue/job.ts';
import type { JobContext, JobHandler } from '../queue/worker.ts';
import { backoffMs } from '../queue/backoff.ts';
import { newId } from '../ids.ts';
import { ensureAccountWebhook } from './account-webhook.ts';
import { postWebhook, type PostResult, type Resolver } from './deliver.ts';
import { signWebhook } from './sign.ts';
import { DeliveryStatus } from './webhook-status.ts';

export interface WebhookDeliveryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Per attempt: connecting, sending and the response (config webhookTimeoutMs). */
  timeoutMs: number;
  /** Attempts stop once the next one would fall this long after the event (webhookRetryWindowMs). */
  retryWindowMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  allowPrivate: boolean;
  resolve?: Resolver;
  random?: () => number;
}

export const WEBHOOK_USER_AGENT = 'cercapec-webhooks/1';

/**
 * The job that delivers one webhook. Each run makes one attempt outside any transaction, then
 * records it in one transaction fenced by the job's lease: delivered (2xx) completes the job; a
 * failure reschedules the same job at the next backoff step (ctx.retryAt), or marks
 * the delivery failed when that step would fall outside the retry window. A target refused by
 * the SSRF rules fails at once: retrying would be refused again.
 *
 * A worker that dies between sending and recording leaves the job to be claimed again, so a
 * receiver can see a delivery twice: it deduplicates by x-cercapec-delivery.
 */
export function createWebhookHandler(deps: WebhookDeliveryDeps): JobHandler {
  const { store, clock } = deps;

  async function attempt(delivery: WebhookDeliveriesTable, signal: AbortSignal): Promise<PostResult> {
    const { secret } = await ensureAccountWebhook(store.db, delivery.account_id, clock.now());
    const timestamp = Math.floor(clock.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'x-cercapec-event': delivery.event,
      'x-cercapec-delivery': delivery.id,
      'x-cercapec-timestamp': String(timestamp),
      'x-cercapec-signature': signWebhook(secret, timestamp, delivery.body),
    };
    return postWebhook({
      url: delivery.url,
      body: delivery.body,
      headers,
      timeoutMs: deps.timeoutMs,
      allowPrivate: deps.allowPrivate,
      resolve: deps.resolve,
      signal,
    });
  }

  /** When to try again, or null when the window is over. */
  function nextAttemptAt(delivery: WebhookDeliveriesTable, attempts: number, now: number): number | null {
    const next = now + backoffMs(attempts, deps.backoffBaseMs, deps.backoffCapMs, deps.random);
    return next - Number(delivery.created_at) > deps.retryWindowMs ? null : next;
  }

  async function record(_job: Job, ctx: JobContext, delivery: WebhookDeliveriesTable, result: PostResult): Promise<string> {
    const now = clock.now();
    const attempts = Number(delivery.attempts) + 1;
    const next = result.error === null || result.refused ? null : nextAttemptAt(delivery, attempts, now);
    const status = result.error === null ? DeliveryStatus.delivered : next === null ? DeliveryStatus.failed : DeliveryStatus.pending;
    await store.db.transaction().execute(async (trx) => {
      if (next === null) await ctx.complete(trx);
      else await ctx.retryAt(trx, next, result.error!);
      await trx
        .insertInto('webhook_attempts')
        .values({
          id: newId('wha', now),
          delivery_id: delivery.id,
          at: now,
          status_code: result.statusCode,
          error: result.error,
          duration_ms: result.durationMs,
        })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status,
          attempts,
          last_status_code: result.statusCode,
          last_error: result.error,
          next_attempt_at: next,
          delivered_at: status === DeliveryStatus.delivered ? now : null,
        })
        .where('id', '=', delivery.id)
        .where('status', '=', DeliveryStatus.pending)
        .execute();
    });
    return status;
  }

  return {
    async run(job, ctx) {
      const { deliveryId } = job.payload as { deliveryId: string };
      const delivery = await store.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
      if (!delivery || delivery.status !== DeliveryStatus.pending) {
        // Purged, or finished by a worker whose lease this one outlived: returning retires the
        // job with others in one statement (nothing is written, so running twice is harmless).
        return;
      }
      const result = await attempt(delivery, ctx.signal);
      // Interrupted by a stop, not answered by the receiver: the queue hands the job back.
      if (ctx.signal.aborted) throw new Error(result.detail ?? 'aborted');
      const status = await record(job, ctx, delivery, result);
      const host = new URL(delivery.url).host;
      const log = { delivery: delivery.id, host, status, statusCode: result.statusCode, ms: result.durationMs };
      if (result.error === null) deps.logger.info(log, 'webhook delivered');
      // The operator's log keeps the low-level cause that the customer's delivery log does not show.
      else deps.logger.warn({ ...log, err: result.detail ?? result.error }, 'webhook attempt failed');
    },

    async giveUp(trx, job, error) {
      const { deliveryId } = job.payload as { deliveryId: string };
      await trx
        .updateTable('webhook_deliveries')
        .set({ status: DeliveryStatus.failed, next_attempt_at: null, last_error: error instanceof Error ? error.message.slice(0, 500) : 'internal error' })
        .where('id', '=', deliveryId)
        .where('status', '=', DeliveryStatus.pending)
        .execute();
    },

    // Store errors and the like: the queue retries them with its backoff until the backstop.
    isPermanent: () => false,
  };
}
