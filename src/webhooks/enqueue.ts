import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { addJob } from '../queue/add-job.ts';
import { newId } from '../ids.ts';
import { toLookupResource } from '../resources/lookup-resource.ts';
import { DeliveryStatus, WEBHOOK_QUEUE, WebhookEvent } from './webhook-status.ts';

/**
 * A backstop only: the retry window (config webhookRetryWindowMs) ends a delivery's attempts
 * long before (24 h at a 1 h cap is about 60 attempts).
 */
export const WEBHOOK_JOB_MAX_ATTEMPTS = 1000;

/**
 * Enqueues the `lookup.answered` delivery of a lookup that this transaction has just answered
 * (found, not found, failed or cancelled). Call it in the same transaction as the answer, after
 * the conditional update that made it, so the delivery commits with the answer or not at all:
 * a crash loses none and a retried transaction adds none. After the commit, wake the webhook
 * workers with `notifier.jobAdded(WEBHOOK_QUEUE)` when it returned more than 0.
 *
 * The target is the lookup's own callbackUrl, or else the account's default one
 * (PUT /v1/account/webhook). The body is the lookup as GET /v1/lookups/{id} shows it, frozen
 * now: every attempt sends the same bytes. Returns the deliveries enqueued (0 or 1).
 */
export async function enqueueLookupWebhooks(trx: Transaction<Database>, requestId: string, now: number): Promise<number> {
  const request = await trx.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirst();
  if (!request) throw new Error(`enqueueLookupWebhooks: no request ${requestId}`);
  // Every answer (found, not found, failed, cancelled) sets answered_at; a pending request has none.
  if (request.answered_at === null) throw new Error(`enqueueLookupWebhooks: request ${requestId} is not answered (${request.status})`);
  const account = await trx.selectFrom('account_webhooks').select('url').where('account_id', '=', request.account_id).executeTakeFirst();
  const url = request.callback_url ?? account?.url ?? null;
  if (!url) return 0;
  const addresses = await trx.selectFrom('request_addresses').selectAll().where('request_id', '=', requestId).orderBy('position').execute();
  const body = JSON.stringify(toLookupResource(request, addresses));
  await insertDelivery(trx, { accountId: request.account_id, requestId, batchId: null, url, event: WebhookEvent.lookupAnswered, body, now });
  return 1;
}

export interface BatchWebhookInput {
  accountId: string;
  /** The batch's callbackUrl, checked with callbackUrlProblem when the batch was accepted. */
  url: string;
  /** The batch resource as the API shows it; serialised and frozen now. */
  body: unknown;
  now: number;
  /** Default `batch.completed`. */
  event?: WebhookEvent;
}

/**
 * For batches (src/batches): enqueues the delivery of a batch event, signed and retried like
 * lookup deliveries and listed by GET /v1/webhooks/deliveries. Call it in the transaction that
 * marks the batch complete, once per batch: a second call for the same batch, event and URL
 * fails on a unique index (and rolls that transaction back). Wake the webhook workers after
 * the commit with `notifier.jobAdded(WEBHOOK_QUEUE)`. Returns the delivery id.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   // ... mark the batch completed, only if it was not ...
 *   if (batch.callback_url) await enqueueBatchWebhook(trx, batch.id, { accountId: batch.account_id, url: batch.callback_url, body: toBatchResource(batch), now });
 * });
 * deps.notifier.jobAdded(WEBHOOK_QUEUE);
 */
export async function enqueueBatchWebhook(trx: Transaction<Database>, batchId: string, input: BatchWebhookInput): Promise<string> {
  return insertDelivery(trx, {
    accountId: input.accountId,
    requestId: null,
    batchId,
    url: input.url,
    event: input.event ?? WebhookEvent.batchCompleted,
    body: JSON.stringify(input.body),
    now: input.now,
  });
}

/**
 * For watches (src/watches): enqueues the delivery of a watch event (pec.added, pec.changed,
 * pec.removed) to the account's default URL, in the transaction that made the event (which is
 * unique per account and observation, so this runs once per event). Returns the delivery id.
 */
export async function enqueueWatchWebhook(
  trx: Transaction<Database>,
  input: { accountId: string; url: string; event: WebhookEvent; body: unknown; now: number },
): Promise<string> {
  return insertDelivery(trx, {
    accountId: input.accountId,
    requestId: null,
    batchId: null,
    url: input.url,
    event: input.event,
    body: JSON.stringify(input.body),
    now: input.now,
  });
}

interface NewDelivery {
  accountId: string;
  requestId: string | null;
  batchId: string | null;
  url: string;
  event: WebhookEvent;
  body: string;
  now: number;
}

async function insertDelivery(trx: Transaction<Database>, d: NewDelivery): Promise<string> {
  const id = newId('whd', d.now);
  await trx
    .insertInto('webhook_deliveries')
    .values({
      id,
      account_id: d.accountId,
      request_id: d.requestId,
      batch_id: d.batchId,
      url: d.url,
      event: d.event,
      body: d.body,
      status: DeliveryStatus.pending,
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: d.now,
      created_at: d.now,
      delivered_at: null,
    })
    .execute();
  await addJob(trx, { queue: WEBHOOK_QUEUE, payload: { deliveryId: id }, now: d.now, maxAttempts: WEBHOOK_JOB_MAX_ATTEMPTS });
  return id;
}
