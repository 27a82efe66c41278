import type { Kysely } from 'kysely';
import type { Database, RequestsTable, RequestStatus } from '../store/schema.ts';

export interface LookupListFilter {
  status?: RequestStatus;
  /** An exact code, already normalized. */
  code?: string;
  /** Only rows strictly older than this (created_at, id): the keyset cursor. */
  after: { at: number; id: string } | null;
  limit: number;
}

/** Up to `limit` of an account's lookups not deleted, newest first (ties by id): the API's list. */
export async function listLookups(db: Kysely<Database>, accountId: string, f: LookupListFilter): Promise<RequestsTable[]> {
  let query = db.selectFrom('requests').selectAll().where('account_id', '=', accountId).where('deleted_at', 'is', null);
  if (f.status) query = query.where('status', '=', f.status);
  if (f.code) query = query.where('code', '=', f.code);
  const after = f.after;
  if (after) {
    query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/**
 * Up to `limit` of an account's newest lookups (deleted ones too, as the portal lists them),
 * those whose code starts with `codePrefix` when given (LIKE wildcards in it are dropped).
 */
export async function recentLookups(db: Kysely<Database>, accountId: string, codePrefix: string, limit: number) {
  let query = db.selectFrom('requests').select(['id', 'code', 'status', 'pec', 'reference', 'created_at']).where('account_id', '=', accountId);
  if (codePrefix) query = query.where('code', 'like', `${codePrefix.replace(/[%_\\]/g, '')}%`);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
