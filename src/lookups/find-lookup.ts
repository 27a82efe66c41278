import type { Store } from '../store/store.ts';
import type { RequestsTable, RequestAddressesTable } from '../store/schema.ts';
import { compileOnce } from '../store/compile-once.ts';
import { toLookupResource, type LookupResource } from '../resources/lookup-resource.ts';

export type LookupRow = RequestsTable;

// Every poll runs these: compiled once (see compileOnce for the figures).
const byToken = compileOnce<'id' | 'accountId', LookupRow>((db, param) =>
  db.selectFrom('requests').selectAll().where('id', '=', param('id')).where('account_id', '=', param('accountId')),
);
/** What a text protocol poll answers from (pollAnswer): five columns, not the row's twenty-odd. */
export type PollRow = Pick<RequestsTable, 'id' | 'status' | 'pec' | 'deleted_at' | 'error_code'>;
// better-sqlite3 builds each row's object with its column names interned one by one: with
// selectAll that was 8% of a poll's CPU under load (perf, 2026-12-03), for columns never read.
const pollByToken = compileOnce<'id' | 'accountId', PollRow>((db, param) =>
  db
    .selectFrom('requests')
    .select(['id', 'status', 'pec', 'deleted_at', 'error_code'])
    .where('id', '=', param('id'))
    .where('account_id', '=', param('accountId')),
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

/** findLookup for a poll: the same rule (another account's token is unknown), only what the answer needs. */
export async function findPollState(store: Store, accountId: string, id: string): Promise<PollRow | null> {
  if (!id || id.length > 64) return null;
  const [row] = await pollByToken(store.reader, { id, accountId });
  return row ?? null;
}

// The auth epoch's one row with the request, if any, joined to it: both from one snapshot.
type PollWithEpochRow = { [C in keyof PollRow]: PollRow[C] | null } & { auth_epoch: number };
const pollWithEpoch = compileOnce<'id' | 'accountId' | 'epochRow', PollWithEpochRow>((db, param) =>
  db
    .selectFrom('auth_epoch')
    .leftJoin('requests', (join) => join.on('requests.id', '=', param('id')).on('requests.account_id', '=', param('accountId')))
    .select(['auth_epoch.epoch as auth_epoch', 'requests.id', 'requests.status', 'requests.pec', 'requests.deleted_at', 'requests.error_code'])
    .where('auth_epoch.id', '=', param('epochRow')),
);

/**
 * findPollState with the auth epoch current when the request was read, for a caller holding a
 * key -> account answer taken under some epoch (KeyCache.peek): if the two are equal, no change of
 * keys, accounts or terms committed in between, and the answer stands. Where the epoch is stored
 * (SQLite) it comes in the same statement as the request: a poll is one read, not two (the
 * separate epoch read was about 8% of a poll's CPU under load, perf 2026-12-03). Elsewhere
 * (PostgreSQL, an in-memory counter moved by NOTIFY) it is read before the request, as the key
 * cache itself does. `epoch` is null when the token cannot be one (nothing read).
 */
export async function findPollStateWithEpoch(store: Store, accountId: string, id: string): Promise<{ row: PollRow | null; epoch: number | null }> {
  if (!id || id.length > 64) return { row: null, epoch: null };
  if (!store.authEpoch.stored) {
    const epoch = store.authEpoch.value();
    return { row: await findPollState(store, accountId, id), epoch };
  }
  return pollStateOf(await pollWithEpoch(store.reader, { id, accountId, epochRow: 1 }));
}

/**
 * findPollStateWithEpoch answered at once, without a promise, where the store can (SQLite reading
 * outside a transaction: see CompiledRead.now); null where it cannot, and the caller awaits
 * findPollStateWithEpoch instead. The same statement, so the same answer.
 */
export function findPollStateWithEpochNow(store: Store, accountId: string, id: string): { row: PollRow | null; epoch: number | null } | null {
  if (!id || id.length > 64) return { row: null, epoch: null };
  if (!store.authEpoch.stored) return null;
  const rows = pollWithEpoch.now(store.reader, { id, accountId, epochRow: 1 });
  return rows === null ? null : pollStateOf(rows);
}

function pollStateOf([joined]: PollWithEpochRow[]): { row: PollRow | null; epoch: number | null } {
  if (!joined) return { row: null, epoch: null };
  // No request joined: every column of requests is null. The row is copied field by field: an
  // object rest ({ auth_epoch, ...row }) goes through a V8 runtime call, 4% of a poll's CPU.
  const row =
    joined.id === null
      ? null
      : ({ id: joined.id, status: joined.status, pec: joined.pec, deleted_at: joined.deleted_at, error_code: joined.error_code } as PollRow);
  return { row, epoch: Number(joined.auth_epoch) };
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
