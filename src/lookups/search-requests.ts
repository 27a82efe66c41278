import type { Kysely } from 'kysely';
import type { Database, RequestStatus } from '../store/schema.ts';
import { normalizeTaxId } from '../taxid/index.ts';

export interface RequestFilter {
  /** As typed: normalised like the protocols do. */
  code?: string;
  /** Account id, or a part of its name. */
  account?: string;
  status?: RequestStatus;
  from?: number;
  to?: number;
  /** Keyset paging, newest first: `<created_at>_<id>` of the last row shown. */
  after?: string;
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

/** Requests by code, account, status and creation date, newest first, a page at a time (the back office). */
export async function searchRequests(db: Kysely<Database>, f: RequestFilter): Promise<{ rows: RequestRow[]; next: string | null }> {
  const limit = f.limit ?? 100;
  let q = db
    .selectFrom('requests')
    .innerJoin('accounts', 'accounts.id', 'requests.account_id')
    .select(['requests.id', 'requests.code', 'requests.kind', 'requests.status', 'requests.via', 'requests.account_id', 'accounts.name', 'requests.created_at', 'requests.answered_at', 'requests.deleted_at']);
  if (f.code) q = q.where('requests.code', '=', normalizeTaxId(f.code));
  if (f.account) {
    // % and _ typed by someone stay wildcards: harmless in a search box, and LIKE escapes differ by dialect.
    const needle = `%${f.account.toLowerCase()}%`;
    q = q.where((eb) => eb.or([eb('accounts.id', '=', f.account!), eb(eb.fn('lower', ['accounts.name']), 'like', eb.val(needle))]));
  }
  if (f.status) q = q.where('requests.status', '=', f.status);
  if (f.from !== undefined) q = q.where('requests.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('requests.created_at', '<', f.to);
  const after = /^(\d+)_(.+)$/.exec(f.after ?? '');
  if (after) {
    const at = Number(after[1]);
    q = q.where((eb) => eb.or([eb('requests.created_at', '<', at), eb.and([eb('requests.created_at', '=', at), eb('requests.id', '<', after[2])])]));
  }
  const rows = await q.orderBy('requests.created_at', 'desc').orderBy('requests.id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit).map((r) => ({
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
  }));
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last ? `${last.createdAt}_${last.id}` : null };
}
