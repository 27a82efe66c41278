import type { Kysely } from 'kysely';
import type { Database, LedgerTable } from '../store/schema.ts';

/**
 * Up to `limit` ledger rows of an account, oldest first (ties by id), strictly after the row
 * `after` points at (created_at, id) when given: the keyset page the API's ledger walks.
 */
export async function ledgerPage(db: Kysely<Database>, accountId: string, after: { at: number; id: string } | null, limit: number): Promise<LedgerTable[]> {
  let query = db.selectFrom('ledger').selectAll().where('account_id', '=', accountId);
  if (after) query = query.where((eb) => eb.or([eb('created_at', '>', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '>', after.id)])]));
  return query.orderBy('created_at').orderBy('id').limit(limit).execute();
}
