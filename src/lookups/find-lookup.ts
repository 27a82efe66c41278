import type { Store } from '../store/store.ts';
import type { RequestsTable, RequestAddressesTable } from '../store/schema.ts';
import { compileOnce } from '../store/compile-once.ts';
import { toLookupResource, type LookupResource } from '../resources/lookup-resource.ts';

export type LookupRow = RequestsTable;

// Every poll runs these: compiled once (see compileOnce for the figures).
const byToken = compileOnce<'id' | 'accountId', LookupRow>((db, param) =>
  db.selectFrom('requests').selectAll().where('id', '=', param('id')).where('account_id', '=', param('accountId')),
);
const addressesOf = compileOnce<'requestId', RequestAddressesTable>((db, param) =>
  db.selectFrom('request_addresses').selectAll().where('request_id', '=', param('requestId')).orderBy('position'),
);

/**
 * A request by token, only if it belongs to the account: another account's token is
 * indistinguishable from one that does not exist.
 */
export async function findLookup(store: Store, accountId: string, id: string): Promise<LookupRow | null> {
  if (!id || id.length > 64) return null;
  const [row] = await byToken(store.reader, { id, accountId });
  return row ?? null;
}

export async function findAddresses(store: Store, requestId: string): Promise<RequestAddressesTable[]> {
  return addressesOf(store.reader, { requestId });
}

/** Many requests as the JSON API shows them, their addresses loaded in one query. */
export async function loadLookupResources(store: Store, rows: RequestsTable[]): Promise<LookupResource[]> {
  if (rows.length === 0) return [];
  const addresses = await store.db
    .selectFrom('request_addresses')
    .selectAll()
    .where(
      'request_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('request_id')
    .orderBy('position')
    .execute();
  const byRequest = new Map<string, RequestAddressesTable[]>();
  for (const a of addresses) byRequest.set(a.request_id, [...(byRequest.get(a.request_id) ?? []), a]);
  return rows.map((r) => toLookupResource(r, byRequest.get(r.id) ?? []));
}
