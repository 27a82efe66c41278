import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import { refundRequest } from '../billing/ledger.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { PENDING_STATUSES } from '../lookups/lookup-status.ts';
import { validateTaxId } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** What a batch row shows, in the results file, in place of an erased code and its cells. */
export const ERASED_ROW_ERROR = "dati cancellati su richiesta dell'interessato";

export interface ErasureCounts {
  /** Requests of any account for the code, deleted with their addresses and attempts. */
  requests: number;
  /** Of those, requests still pending: cancelled and refunded first. */
  refunded: number;
  batchRows: number;
  directoryEntries: number;
  /** Names indexed for search under the code (customer datasets' names may be people's). */
  names: number;
  cacheEntries: number;
  webhookDeliveries: number;
  /** The code's address history, the watches on it (every account) and their events. */
  observations: number;
  watches: number;
  watchEvents: number;
}

/**
 * A data subject's erasure request (GDPR art. 17) for one codice fiscale: everything cercapec
 * holds under that code goes, across every account, in one transaction. Requests are deleted
 * like retention deletes them (with their addresses, attempts, idempotency keys and webhook
 * deliveries, whose bodies carry the code); a pending one is refunded first, so its customer
 * pays nothing for a lookup that will never be answered (its token then answers as unknown).
 * Batch rows keep their place in the results, blank, with ERASED_ROW_ERROR. The directory's
 * entries and the registries' cached answers for the code go too: a dataset imported again
 * later brings its rows back, which is the dataset owner's call. The ledger stays (accounting
 * records; its request_id no longer leads to a code). The audit row names no code.
 */
export async function eraseCode(store: Store, clock: Clock, input: string, by: AuditBy): Promise<ErasureCounts> {
  const checked = validateTaxId(input);
  if (!checked.valid) throw new CercapecError(ErrorCode.codeInvalid, checked.message, { reason: checked.reason });
  const code = checked.code;
  const now = clock.now();
  return store.db.transaction().execute(async (trx) => {
    const requests = await trx.selectFrom('requests').select(['id', 'account_id', 'status']).where('code', '=', code).execute();
    // Lock the accounts whose balance may change, in a fixed order (no deadlock with submitters).
    const pending = requests.filter((r) => PENDING_STATUSES.includes(r.status));
    for (const accountId of [...new Set(pending.map((r) => r.account_id))].sort()) await store.dialect.lockAccount(trx, accountId);
    let refunded = 0;
    for (const r of pending) if ((await refundRequest(trx, r.id, now, "dati cancellati su richiesta dell'interessato")) > 0) refunded++;
    const ids = requests.map((r) => r.id);
    let webhookDeliveries = 0;
    if (ids.length > 0) {
      webhookDeliveries = await deleteDeliveries(trx, ids);
      await trx.deleteFrom('request_addresses').where('request_id', 'in', ids).execute();
      await trx.deleteFrom('attempts').where('request_id', 'in', ids).execute();
      await trx.deleteFrom('idempotency_keys').where('request_id', 'in', ids).execute();
      await trx.deleteFrom('requests').where('id', 'in', ids).execute();
    }
    const batchRows = await blankBatchRows(trx, code);
    const directoryEntries = count(await trx.deleteFrom('directory_entries').where('code', '=', code).executeTakeFirst());
    const names = count(await trx.deleteFrom('name_entries').where('code', '=', code).executeTakeFirst());
    const cacheEntries = count(await trx.deleteFrom('registry_cache').where('code', '=', code).executeTakeFirst());
    const observations = count(await trx.deleteFrom('address_observations').where('code', '=', code).executeTakeFirst());
    const watches = count(await trx.deleteFrom('watches').where('code', '=', code).executeTakeFirst());
    const watchEvents = count(await trx.deleteFrom('watch_events').where('code', '=', code).executeTakeFirst());
    webhookDeliveries += await deleteWatchDeliveries(trx, code);
    const counts = { requests: ids.length, refunded, batchRows, directoryEntries, names, cacheEntries, webhookDeliveries, observations, watches, watchEvents };
    await recordAudit(trx, { at: now, actor: by.actor, action: 'privacy.erase', target: null, after: counts });
    return counts;
  });
}

async function deleteDeliveries(db: Db, requestIds: string[]): Promise<number> {
  const deliveries = (await db.selectFrom('webhook_deliveries').select('id').where('request_id', 'in', requestIds).execute()).map((d) => d.id);
  if (deliveries.length === 0) return 0;
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', deliveries).execute();
  return count(await db.deleteFrom('webhook_deliveries').where('id', 'in', deliveries).executeTakeFirst());
}

/** Watch event deliveries carry the code in their frozen body (toWatchEventView: `"code":"..."`). */
async function deleteWatchDeliveries(db: Db, code: string): Promise<number> {
  const deliveries = (
    await db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('event', 'in', ['pec.added', 'pec.changed', 'pec.removed'])
      .where('body', 'like', `%"code":"${code}"%`)
      .execute()
  ).map((d) => d.id);
  if (deliveries.length === 0) return 0;
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', deliveries).execute();
  return count(await db.deleteFrom('webhook_deliveries').where('id', 'in', deliveries).executeTakeFirst());
}

/** Every cell of the row is blanked (names, addresses, notes travel with the code). */
async function blankBatchRows(db: Db, code: string): Promise<number> {
  const rows = await db.selectFrom('batch_rows').select(['batch_id', 'row_index', 'input']).where('code', '=', code).execute();
  for (const row of rows) {
    const cells = JSON.parse(row.input) as unknown[];
    await db
      .updateTable('batch_rows')
      .set({ input: JSON.stringify(cells.map(() => '')), code: null, request_id: null, error: ERASED_ROW_ERROR })
      .where('batch_id', '=', row.batch_id)
      .where('row_index', '=', row.row_index)
      .execute();
  }
  return rows.length;
}

function count(result: { numDeletedRows: bigint }): number {
  return Number(result.numDeletedRows);
}
