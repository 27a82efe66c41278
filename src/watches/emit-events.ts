import type { Transaction } from 'kysely';
import type { Database, WatchEventsTable } from '../store/schema.ts';
import type { AddressChange } from '../history/observe.ts';
import { newId } from '../ids.ts';
import { enqueueWatchWebhook } from '../webhooks/enqueue.ts';
import { eventType, toWatchEventView } from './watch-event.ts';

const CHUNK = 1000;

/**
 * Makes the changes of one transaction into events of every account watching the code, with
 * a webhook delivery to accounts that set a default URL. An event is unique per (account,
 * observation), and an observation is made once per change (history/observe.ts), so a
 * re-check that runs again finds nothing new to emit. Returns the deliveries enqueued (wake
 * the webhook workers after the commit when above 0).
 */
export async function emitWatchEvents(trx: Transaction<Database>, changes: readonly AddressChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  const events: WatchEventsTable[] = [];
  for (let i = 0; i < changes.length; i += CHUNK) {
    const slice = changes.slice(i, i + CHUNK);
    const watchers = await trx
      .selectFrom('watches')
      .select(['account_id', 'code'])
      .where('code', 'in', [...new Set(slice.map((c) => c.code))])
      .orderBy('code')
      .orderBy('account_id')
      .execute();
    const byCode = new Map<string, string[]>();
    for (const w of watchers) byCode.set(w.code, [...(byCode.get(w.code) ?? []), w.account_id]);
    for (const c of slice) {
      const type = eventType(c.before, c.after);
      if (!type) continue;
      for (const accountId of byCode.get(c.code) ?? []) {
        events.push({
          id: newId('wev', c.at),
          account_id: accountId,
          code: c.code,
          type,
          before_pec: c.before,
          after_pec: c.after,
          source: c.source,
          at: c.at,
          observation_id: c.observationId,
        });
      }
    }
  }
  if (events.length === 0) return 0;
  const inserted: WatchEventsTable[] = [];
  for (const event of events) {
    const result = await trx
      .insertInto('watch_events')
      .values(event)
      .onConflict((oc) => oc.columns(['account_id', 'observation_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) > 0) inserted.push(event);
  }
  const accounts = [...new Set(inserted.map((e) => e.account_id))];
  if (accounts.length === 0) return 0;
  const urls = new Map(
    (await trx.selectFrom('account_webhooks').select(['account_id', 'url']).where('account_id', 'in', accounts).where('url', 'is not', null).execute()).map(
      (r) => [r.account_id, r.url!],
    ),
  );
  let deliveries = 0;
  for (const event of inserted) {
    const url = urls.get(event.account_id);
    if (!url) continue;
    await enqueueWatchWebhook(trx, { accountId: event.account_id, url, event: event.type, body: toWatchEventView(event), now: event.at });
    deliveries++;
  }
  return deliveries;
}
