import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';
import { PENDING_STATUSES } from './lookup-status.ts';

const DAY = 86_400_000;
const CHUNK = 1000;

/**
 * Retention of personal data: requests (codes and PECs of persons among them) older than the
 * retention period are deleted with their addresses and attempts once they are no longer
 * pending; failed jobs go too. The ledger is kept: it is the accounting record (its rows keep
 * the request id, which no longer leads to a code). Deletes in chunks so no statement holds
 * the store for long.
 */
export async function purgeExpired(trx: Transaction<Database>, now: number, retentionDays: number): Promise<Record<string, number>> {
  const counts = { requests: 0, addresses: 0, attempts: 0, jobs: 0 };
  if (retentionDays <= 0) return counts;
  const before = now - retentionDays * DAY;
  for (;;) {
    const ids = (
      await trx
        .selectFrom('requests')
        .select('id')
        .where('created_at', '<', before)
        .where('status', 'not in', PENDING_STATUSES)
        .limit(CHUNK)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    counts.addresses += Number((await trx.deleteFrom('request_addresses').where('request_id', 'in', ids).executeTakeFirst()).numDeletedRows);
    counts.attempts += Number((await trx.deleteFrom('attempts').where('request_id', 'in', ids).executeTakeFirst()).numDeletedRows);
    await trx.deleteFrom('idempotency_keys').where('request_id', 'in', ids).execute();
    counts.requests += Number((await trx.deleteFrom('requests').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
    if (ids.length < CHUNK) break;
  }
  counts.jobs = Number((await trx.deleteFrom('jobs').where('status', '=', 'failed').where('updated_at', '<', before).executeTakeFirst()).numDeletedRows);
  return counts;
}

export function purgeExpiredTask(retentionDays: number): MaintenanceTask {
  return { name: 'purge-expired', everyMs: 3_600_000, run: (trx, now) => purgeExpired(trx, now, retentionDays) };
}
