import type { Clock } from '../clock.ts';
import type { BatchesTable } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { enqueueBatchWebhook } from '../webhooks/enqueue.ts';
import { toBatchResource } from '../resources/batch-resource.ts';
import { BatchStatus } from './batch-status.ts';
import { summarise, type BatchSummary, type RowCounts } from './batch-summary.ts';

/**
 * The batch's summary, after completing it if every row is settled: the writers call it (the
 * upload once its lookups exist, the settled hook after an answer (settle-batches.ts), and the
 * sweeper). Reads never do: they show what is stored. `onCompleted` hears of a batch this call
 * completed (to wake the webhook workers).
 */
export async function completeIfSettled(store: Store, clock: Clock, batch: BatchesTable, onCompleted?: (batch: BatchesTable) => void): Promise<BatchSummary> {
  const summary = await summarise(store.db, batch);
  if (summary.settledAt === null) return summary;
  const completed = await completeBatch(store, batch, summary.counts, summary.settledAt, clock.now());
  if (!completed) return summary;
  onCompleted?.(completed);
  return { ...summary, batch: completed, settledAt: null };
}

/**
 * Marks a processing batch completed with its frozen counts and, in the same transaction, queues
 * its batch.completed webhook (to the batch's callbackUrl, else the account's webhook URL). The
 * update is conditional, so however many readers and sweepers see the batch settle at once,
 * it completes, and is announced, exactly once. Returns the completed batch, or null when
 * someone else completed it first. Wake the webhook workers after a non-null return.
 */
export async function completeBatch(store: Store, batch: BatchesTable, counts: RowCounts, completedAt: number, now: number): Promise<BatchesTable | null> {
  return store.db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('batches')
      .set({ status: BatchStatus.completed, counts: JSON.stringify(counts), completed_at: completedAt, updated_at: now })
      .where('id', '=', batch.id)
      .where('status', '=', BatchStatus.processing)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) return null;
    const completed: BatchesTable = { ...batch, status: BatchStatus.completed, counts: JSON.stringify(counts), completed_at: completedAt, updated_at: now };
    const account = await trx.selectFrom('account_webhooks').select('url').where('account_id', '=', batch.account_id).executeTakeFirst();
    const url = batch.callback_url ?? account?.url ?? null;
    if (url) {
      const body = toBatchResource({ batch: completed, counts, progress: 1 });
      await enqueueBatchWebhook(trx, batch.id, { accountId: batch.account_id, url, body, now });
    }
    return completed;
  });
}
