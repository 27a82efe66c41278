import type { Store } from '../store/store.ts';
import type { RequestsTable, RequestAddressesTable } from '../store/schema.ts';

export type LookupRow = RequestsTable;

/**
 * A request by token, only if it belongs to the account: another account's token is
 * indistinguishable from one that does not exist.
 */
export async function findLookup(store: Store, accountId: string, id: string): Promise<LookupRow | null> {
  if (!id || id.length > 64) return null;
  const row = await store.reader
    .selectFrom('requests')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row ?? null;
}

export async function findAddresses(store: Store, requestId: string): Promise<RequestAddressesTable[]> {
  return store.reader.selectFrom('request_addresses').selectAll().where('request_id', '=', requestId).orderBy('position').execute();
}
