import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { DIRECTORY_SOURCE } from '../directory/local-sources.ts';

export interface WatchView {
  code: string;
  kind: 'cf16' | 'cf11';
  reference: string | null;
  createdAt: string;
  /** The current address: the newest current answer that has one, from any source. */
  pec: string | null;
  source: string | null;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** An account's watches by creation time then code, after a cursor; one more row tells whether there is a next page. */
export async function listWatches(db: Kysely<Database>, accountId: string, o: { after: { at: number; id: string } | null; limit: number; code?: string }) {
  let query = db.selectFrom('watches').selectAll().where('account_id', '=', accountId);
  if (o.code) query = query.where('code', '=', o.code);
  if (o.after) {
    const { at, id } = o.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('code', '>', id)])]));
  }
  const rows = await query
    .orderBy('created_at')
    .orderBy('code')
    .limit(o.limit + 1)
    .execute();
  const page = rows.slice(0, o.limit);
  const current = await currentAddresses(
    db,
    page.map((r) => r.code),
  );
  const items: WatchView[] = page.map((r) => ({
    code: r.code,
    kind: r.kind,
    reference: r.reference,
    createdAt: iso(r.created_at),
    pec: current.get(r.code)?.pec ?? null,
    source: current.get(r.code)?.source ?? null,
  }));
  const last = page.at(-1);
  return { items, next: rows.length > o.limit && last ? { at: Number(last.created_at), id: last.code } : null };
}

/**
 * Each code's current address: the directory first (the operator's own data win, as in
 * lookups), then the most recently seen current answer of any other source that has one.
 */
export async function currentAddresses(db: Kysely<Database>, codes: readonly string[]): Promise<Map<string, { pec: string; source: string }>> {
  const found = new Map<string, { pec: string; source: string }>();
  if (codes.length === 0) return found;
  const rows = await db
    .selectFrom('address_observations')
    .select(['code', 'source', 'pec', 'last_seen_at'])
    .where('code', 'in', codes)
    .where('superseded_at', 'is', null)
    .where('pec', 'is not', null)
    .orderBy('last_seen_at', 'desc')
    .execute();
  for (const row of rows) {
    const held = found.get(row.code);
    if (!held || (row.source === DIRECTORY_SOURCE && held.source !== DIRECTORY_SOURCE)) found.set(row.code, { pec: row.pec!, source: row.source });
  }
  return found;
}

/** Stops watching; false when the account did not watch the code. */
export async function removeWatch(db: Kysely<Database>, accountId: string, code: string): Promise<boolean> {
  const result = await db.deleteFrom('watches').where('account_id', '=', accountId).where('code', '=', code).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Counts for the back office dashboard: watches now, and the address changes in [since, until). */
export async function watchCounts(
  db: Kysely<Database>,
  since: number,
  until = Number.MAX_SAFE_INTEGER,
): Promise<{ watches: number; codes: number; events: number }> {
  const w = await db
    .selectFrom('watches')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('code').distinct().as('codes')])
    .executeTakeFirstOrThrow();
  const e = await db
    .selectFrom('watch_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('at', '>=', since)
    .where('at', '<', until)
    .executeTakeFirstOrThrow();
  return { watches: Number(w.n), codes: Number(w.codes), events: Number(e.n) };
}
