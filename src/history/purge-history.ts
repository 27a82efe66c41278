import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Retention of the address history and the watch events: observations last seen more than
 * retentionDays ago (0 keeps everything) go, except the current answer of a watched code,
 * which is the watch's baseline (without it the next change would not be an event); events go
 * by their time. By chunks of ids, like purgeExpired.
 */
export async function purgeHistory(db: Db, now: number, retentionDays: number, chunkSize = 1000): Promise<{ observations: number; watchEvents: number }> {
  const counts = { observations: 0, watchEvents: 0 };
  if (retentionDays <= 0) return counts;
  const before = now - retentionDays * DAY;
  for (;;) {
    const ids = (
      await db
        .selectFrom('address_observations as o')
        .select('o.id')
        .where('o.last_seen_at', '<', before)
        .where((eb) =>
          eb.or([eb('o.superseded_at', 'is not', null), eb.not(eb.exists(eb.selectFrom('watches as w').select('w.code').whereRef('w.code', '=', 'o.code')))]),
        )
        .limit(chunkSize)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    counts.observations += Number((await db.deleteFrom('address_observations').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
    if (ids.length < chunkSize) break;
  }
  for (;;) {
    const ids = (await db.selectFrom('watch_events').select('id').where('at', '<', before).limit(chunkSize).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    counts.watchEvents += Number((await db.deleteFrom('watch_events').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
    if (ids.length < chunkSize) break;
  }
  return counts;
}

export function purgeHistoryTask(retentionDays: number): MaintenanceTask {
  return { name: 'purge-history', everyMs: HOUR, run: async (trx, now) => ({ ...(await purgeHistory(trx, now, retentionDays)) }) };
}
