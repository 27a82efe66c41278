import type { Kysely, Transaction } from 'kysely';
import type { Database, RequestStatus } from '../store/schema.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';
import { purgeFailedJobs } from '../queue/list-jobs.ts';
import { isPending, LookupStatus } from '../lookups/lookup-status.ts';
import { BatchStatus } from '../batches/batch-status.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Statuses a request no longer leaves; spelled out (not "not in pending") so the (status, created_at) index serves the scan. */
const SETTLED: readonly RequestStatus[] = Object.values(LookupStatus).filter((s) => !isPending(s));

export interface PurgeCounts {
  requests: number;
  addresses: number;
  attempts: number;
  idempotencyKeys: number;
  jobs: number;
  batches: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Retention of personal data: requests (codes, and the PECs of persons among their answers)
 * created more than retentionDays ago (0 keeps everything) are deleted with their addresses,
 * attempts and idempotency keys, once they are no longer pending; so are jobs that failed for
 * good that long ago. The ledger is kept: it is the accounting record, and its request_id no longer
 * leads to a code. Deletes go by chunks of ids, so no statement grows with the backlog (the
 * first run on a years-old installation would otherwise be one statement over millions of
 * rows, and hit statement_timeout).
 */
export async function purgeExpired(db: Db, now: number, retentionDays: number, chunkSize = 1000): Promise<PurgeCounts> {
  const counts: PurgeCounts = { requests: 0, addresses: 0, attempts: 0, idempotencyKeys: 0, jobs: 0, batches: 0 };
  if (retentionDays <= 0) return counts;
  const before = now - retentionDays * DAY;
  for (;;) {
    const ids = (await db.selectFrom('requests').select('id').where('status', 'in', SETTLED).where('created_at', '<', before).limit(chunkSize).execute()).map(
      (r) => r.id,
    );
    if (ids.length === 0) break;
    counts.addresses += deleted(await db.deleteFrom('request_addresses').where('request_id', 'in', ids).executeTakeFirst());
    counts.attempts += deleted(await db.deleteFrom('attempts').where('request_id', 'in', ids).executeTakeFirst());
    counts.idempotencyKeys += deleted(await db.deleteFrom('idempotency_keys').where('request_id', 'in', ids).executeTakeFirst());
    counts.requests += deleted(await db.deleteFrom('requests').where('id', 'in', ids).executeTakeFirst());
    if (ids.length < chunkSize) break;
  }
  // Batches hold the uploaded rows (codes, names): completed ones go with their requests.
  for (;;) {
    const ids = (
      await db.selectFrom('batches').select('id').where('status', '=', BatchStatus.completed).where('created_at', '<', before).limit(10).execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    for (const id of ids) {
      // By ranges of rows: a batch may have 100,000 of them.
      for (;;) {
        const last = await db.selectFrom('batch_rows').select('row_index').where('batch_id', '=', id).orderBy('row_index', 'desc').limit(1).executeTakeFirst();
        if (!last) break;
        await db
          .deleteFrom('batch_rows')
          .where('batch_id', '=', id)
          .where('row_index', '>', Number(last.row_index) - chunkSize * 5)
          .execute();
      }
      await db.deleteFrom('webhook_deliveries').where('batch_id', '=', id).execute();
      await db.deleteFrom('batch_idempotency_keys').where('batch_id', '=', id).execute();
      counts.batches += deleted(await db.deleteFrom('batches').where('id', '=', id).executeTakeFirst());
    }
    if (ids.length < 10) break;
  }
  // A job that failed for good stays for inspection; its age counts from the failure.
  for (;;) {
    const removed = await purgeFailedJobs(db, before, chunkSize);
    counts.jobs += removed;
    if (removed < chunkSize) break;
  }
  return counts;
}

/** The hourly maintenance task; after the first run each run only has an hour's worth to delete. */
export function purgeExpiredTask(retentionDays: number): MaintenanceTask {
  return {
    name: 'purge-expired',
    everyMs: HOUR,
    run: async (trx, now) => ({ ...(await purgeExpired(trx, now, retentionDays)) }),
  };
}

function deleted(result: { numDeletedRows: bigint }): number {
  return Number(result.numDeletedRows);
}
