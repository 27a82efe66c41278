import type { Kysely } from 'kysely';
import type { AttemptsTable, Database, LedgerTable, RequestAddressesTable, RequestsTable } from '../store/schema.ts';

/** The code of one request by id, whatever its account; undefined when there is no such request. */
export async function requestCode(db: Kysely<Database>, id: string): Promise<string | undefined> {
  return (await db.selectFrom('requests').select('code').where('id', '=', id).executeTakeFirst())?.code;
}

/** What an operator working on one request sees of it: its fields and its account's name. */
export async function requestWithAccountName(db: Kysely<Database>, id: string) {
  return db
    .selectFrom('requests')
    .innerJoin('accounts', 'accounts.id', 'requests.account_id')
    .select(['requests.id', 'requests.code', 'requests.kind', 'requests.reference', 'requests.created_at', 'requests.account_id', 'accounts.name'])
    .where('requests.id', '=', id)
    .executeTakeFirst();
}

/** One request by id, whatever its account (the back office sees every account's). */
export async function getRequest(db: Kysely<Database>, id: string): Promise<RequestsTable | undefined> {
  return db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface RequestDetail {
  addresses: RequestAddressesTable[];
  attempts: AttemptsTable[];
  ledger: LedgerTable[];
}

/** Everything recorded about one request: its addresses in order, every attempt, its ledger rows. */
export async function requestDetail(db: Kysely<Database>, requestId: string): Promise<RequestDetail> {
  const [addresses, attempts, ledger] = await Promise.all([
    db.selectFrom('request_addresses').selectAll().where('request_id', '=', requestId).orderBy('position').execute(),
    listAttempts(db, requestId),
    db.selectFrom('ledger').selectAll().where('request_id', '=', requestId).orderBy('created_at').execute(),
  ]);
  return { addresses, attempts, ledger };
}

/** A request's attempts, in the order they started. */
export async function listAttempts(db: Kysely<Database>, requestId: string): Promise<AttemptsTable[]> {
  return db.selectFrom('attempts').selectAll().where('request_id', '=', requestId).orderBy('started_at').orderBy('id').execute();
}
