import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { toWatchEventView, type WatchEventView } from './watch-event.ts';

/**
 * An account's watch events, oldest first, after the event id in the cursor. Event ids grow
 * with time (ids.ts), so a cursor taken from the last page resumes the feed later: new events
 * come after it. The cursor is the last id itself, so an empty page still hands one back.
 */
export async function listWatchEvents(
  db: Kysely<Database>,
  accountId: string,
  o: { after: string | null; limit: number },
): Promise<{ items: WatchEventView[]; last: string | null }> {
  let query = db.selectFrom('watch_events').selectAll().where('account_id', '=', accountId);
  if (o.after) query = query.where('id', '>', o.after);
  const rows = await query.orderBy('id').limit(o.limit).execute();
  return { items: rows.map(toWatchEventView), last: rows.at(-1)?.id ?? o.after };
}
