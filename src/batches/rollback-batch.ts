import type { Clock } from '../clock.ts';
import { refundRequest } from '../billing/ledger.ts';
import type { Store } from '../store/store.ts';

/** Lookups undone per transaction: short enough that submitters of the same account wait little. */
const ROLLBACK_CHUNK = 500;

/**
 * Undoes an upload that was never answered 202 (issue 15, item 3: "when the server answers an
 * upload with an error, nothing of that upload is ever charged and it is gone"). The lookups the
 * batch created are refunded and deleted, each refund in the same transaction as the deletion
 * of its request, so a charge is neither lost nor given back twice (the ledger's unique
 * (request_id, kind) index forbids a second refund even if two sweepers race); then the rows,
 * the batch and its idempotency key go. Lookups already answered are undone too: the customer
 * never got the batch. The ledger keeps the charge and its refund, as for a cancelled lookup.
 * Safe to run again after a failure midway (the sweeper does, for uploads a dead process left).
 * Their queued jobs find no request and end without asking anyone.
 */
export async function rollbackBatch(store: Store, clock: Clock, batchId: string): Promise<{ lookups: number }> {
  let lookups = 0;
  for (;;) {
    const requests = await store.db.selectFrom('requests').select(['id', 'account_id']).where('batch_id', '=', batchId).limit(ROLLBACK_CHUNK).execute();
    if (requests.length === 0) break;
    await store.db.transaction().execute(async (trx) => {
      await store.dialect.lockAccount(trx, requests[0].account_id);
      // A lookup that a later, accepted batch of the account linked to (the client uploaded again
      // while this one was left behind) belongs to that batch now: it stays, charged once.
      const linked = await trx
        .selectFrom('batch_rows')
        .select(['request_id', 'batch_id'])
        .where(
          'request_id',
          'in',
          requests.map((r) => r.id),
        )
        .where('batch_id', '!=', batchId)
        .execute();
      const adopted = new Map(linked.map((l) => [l.request_id!, l.batch_id]));
      for (const [requestId, owner] of adopted) await trx.updateTable('requests').set({ batch_id: owner }).where('id', '=', requestId).execute();
      const ids = requests.map((r) => r.id).filter((id) => !adopted.has(id));
      lookups += ids.length;
      if (ids.length === 0) return;
      const now = clock.now();
      for (const id of ids) await refundRequest(trx, id, now, 'caricamento del lotto non riuscito: nulla addebitato');
      const deliveries = (await trx.selectFrom('webhook_deliveries').select('id').where('request_id', 'in', ids).execute()).map((d) => d.id);
      if (deliveries.length > 0) {
        await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', deliveries).execute();
        await trx.deleteFrom('webhook_deliveries').where('id', 'in', deliveries).execute();
      }
      await trx.deleteFrom('request_addresses').where('request_id', 'in', ids).execute();
      await trx.deleteFrom('attempts').where('request_id', 'in', ids).execute();
      await trx.deleteFrom('idempotency_keys').where('request_id', 'in', ids).execute();
      await trx.deleteFrom('requests').where('id', 'in', ids).execute();
    });
  }
  await deleteBatch(store, batchId);
  return { lookups };
}

/** Deletes a batch that has no lookup of its own (left), in chunks of rows; its webhook and idempotency key too. */
export async function deleteBatch(store: Store, id: string): Promise<void> {
  for (;;) {
    const last = await store.db
      .selectFrom('batch_rows')
      .select('row_index')
      .where('batch_id', '=', id)
      .orderBy('row_index', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!last) break;
    await store.db
      .deleteFrom('batch_rows')
      .where('batch_id', '=', id)
      .where('row_index', '>', Number(last.row_index) - 5000)
      .execute();
  }
  await store.db.deleteFrom('batch_idempotency_keys').where('batch_id', '=', id).execute();
  await store.db.deleteFrom('webhook_deliveries').where('batch_id', '=', id).execute();
  await store.db.deleteFrom('batches').where('id', '=', id).execute();
}
