import { sql, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database, RequestStatus } from '../store/schema.ts';
import { normalizeTaxId } from '../taxid/index.ts';
import { escapeLike } from '../accounts/search-accounts.ts';

export interface RequestFilter {
  /** As typed: normalised like the protocols do. */
  code?: string;
  /** Account id, or a part of its name (% and _ are characters, not wildcards). */
  account?: string;
  status?: RequestStatus;
  from?: number;
  to?: number;
  /** Keyset paging, newest first: `<created_at>_<id>` of the last row shown (the next page). */
  after?: string;
  /** `<created_at>_<id>` of the first row shown: the page before it (ignored with `after`). */
  before?: string;
  limit?: number;
}

export interface RequestRow {
  id: string;
  code: string;
  kind: string;
  status: RequestStatus;
  via: string;
  accountId: string;
  accountName: string;
  createdAt: number;
  answeredAt: number | null;
  deletedAt: number | null;
}

export interface RequestPage {
  rows: RequestRow[];
  /** Cursor of the next (older) page, when there is one. */
  next: string | null;
  /** Cursor of the previous (newer) page, when there is one. */
  prev: string | null;
  /** Matching requests in all. */
  total: number;
}

type Query = SelectQueryBuilder<Database, 'requests' | 'accounts', object>;

function filtered(db: Kysely<Database>, f: RequestFilter): Query {
  let q: Query = db.selectFrom('requests').innerJoin('accounts', 'accounts.id', 'requests.account_id');
  if (f.code) q = q.where('requests.code', '=', normalizeTaxId(f.code));
  if (f.account) {
    const needle = `%${escapeLike(f.account.toLowerCase())}%`;
    q = q.where((eb) => eb.or([eb('accounts.id', '=', f.account!), sql<SqlBool>`lower(accounts.name) like ${needle} escape '\\'`]));
  }
  if (f.status) q = q.where('requests.status', '=', f.status);
  if (f.from !== undefined) q = q.where('requests.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('requests.created_at', '<', f.to);
  return q;
}

function parseCursor(text: string | undefined): { at: number; id: string } | null {
  const m = /^(\d{1,16})_(.{1,100})$/.exec(text ?? '');
  return m ? { at: Number(m[1]), id: m[2] } : null;
}

const cursorOf = (r: RequestRow) => `${r.createdAt}_${r.id}`;

function older(q: Query, c: { at: number; id: string }): Query {
  return q.where((eb) => eb.or([eb('requests.created_at', '<', c.at), eb.and([eb('requests.created_at', '=', c.at), eb('requests.id', '<', c.id)])]));
}

function newer(q: Query, c: { at: number; id: string }): Query {
  return q.where((eb) => eb.or([eb('requests.created_at', '>', c.at), eb.and([eb('requests.created_at', '=', c.at), eb('requests.id', '>', c.id)])]));
}

function selectRows(q: Query) {
  return q.select([
    'requests.id',
    'requests.code',
    'requests.kind',
    'requests.status',
    'requests.via',
    'requests.account_id',
    'accounts.name',
    'requests.created_at',
    'requests.answered_at',
    'requests.deleted_at',
  ]);
}

function toRow(r: Awaited<ReturnType<ReturnType<typeof selectRows>['execute']>>[number]): RequestRow {
  return {
    id: r.id,
    code: r.code,
    kind: r.kind,
    status: r.status,
    via: r.via,
    accountId: r.account_id,
    accountName: r.name,
    createdAt: Number(r.created_at),
    answeredAt: r.answered_at === null ? null : Number(r.answered_at),
    deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
  };
}

async function exists(q: Query): Promise<boolean> {
  return (await q.select('requests.id').limit(1).execute()).length > 0;
}

/**
 * Requests by code, account, status and creation date, newest first, a page at a time (the
 * back office): keyset pages on (created_at, id) both ways, with the number of matches.
 */
export async function searchRequests(db: Kysely<Database>, f: RequestFilter): Promise<RequestPage> {
  const limit = f.limit ?? 100;
  const base = filtered(db, f);
  const after = parseCursor(f.after);
  const before = after ? null : parseCursor(f.before);
  let rows: RequestRow[];
  if (before) {
    // The page just newer than `before`: read upwards, then show newest first.
    rows = (await selectRows(newer(base, before)).orderBy('requests.created_at', 'asc').orderBy('requests.id', 'asc').limit(limit).execute())
      .map(toRow)
      .reverse();
  } else {
    const q = after ? older(base, after) : base;
    rows = (await selectRows(q).orderBy('requests.created_at', 'desc').orderBy('requests.id', 'desc').limit(limit).execute()).map(toRow);
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  const [hasOlder, hasNewer, count] = await Promise.all([
    last ? exists(older(base, { at: last.createdAt, id: last.id })) : false,
    first ? exists(newer(base, { at: first.createdAt, id: first.id })) : false,
    base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, next: hasOlder && last ? cursorOf(last) : null, prev: hasNewer && first ? cursorOf(first) : null, total: Number((count as { n: unknown }).n) };
}

/** Every request of a filter, newest first, a chunk at a time (the CSV export), at most `max`. */
export async function* allRequests(db: Kysely<Database>, f: RequestFilter, max: number, chunk = 1000): AsyncGenerator<RequestRow> {
  let after: string | undefined;
  let sent = 0;
  while (sent < max) {
    const wanted = Math.min(chunk, max - sent);
    const c = parseCursor(after);
    const q = filtered(db, f);
    const rows = (
      await selectRows(c ? older(q, c) : q)
        .orderBy('requests.created_at', 'desc')
        .orderBy('requests.id', 'desc')
        .limit(wanted)
        .execute()
    ).map(toRow);
    for (const row of rows) yield row;
    sent += rows.length;
    if (rows.length < wanted) return;
    after = cursorOf(rows[rows.length - 1]);
  }
}
