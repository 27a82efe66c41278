import type { Kysely, RawBuilder, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database, LedgerTable } from '../store/schema.ts';
import { insertRows, type StatementSplit } from '../store/insert-rows.ts';
import { newId } from '../ids.ts';
import { LedgerKind } from './ledger-kind.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface LedgerEntryInput {
  accountId: string;
  amountCents: number;
  kind: LedgerTable['kind'];
  requestId?: string | null;
  reason?: string | null;
  now: number;
}

/**
 * The one writer of the ledger and of `accounts.balance_cents`: appends rows (one multi-row
 * insert) and moves each account's stored balance by their sum, in the caller's transaction, so
 * the two never disagree. The ledger is append-only: corrections are new rows, never updates.
 * Returns the new rows' ids in order.
 */
export async function appendLedgerRows(trx: Transaction<Database>, entries: readonly LedgerEntryInput[], split?: StatementSplit): Promise<string[]> {
  if (entries.length === 0) return [];
  const ids = entries.map((e) => newId('led', e.now));
  await insertRows(
    trx,
    'ledger',
    entries.map((e, i) => ({
      id: ids[i],
      account_id: e.accountId,
      amount_cents: e.amountCents,
      kind: e.kind,
      request_id: e.requestId ?? null,
      reason: e.reason ?? null,
      created_at: e.now,
    })),
    split,
  );
  const deltas = new Map<string, number>();
  for (const e of entries) deltas.set(e.accountId, (deltas.get(e.accountId) ?? 0) + e.amountCents);
  for (const [accountId, delta] of deltas) {
    if (delta === 0) continue;
    await trx
      .updateTable('accounts')
      .set({ balance_cents: sql`balance_cents + ${delta}` })
      .where('id', '=', accountId)
      .execute();
  }
  return ids;
}

/**
 * The ledger's part of a single-statement write (PostgreSQL, see DialectCapabilities
 * .oneStatementWrites): CTEs that append a charge for every row of the CTE `source` priced above
 * zero, and move each account's stored balance by their sum, as appendLedgerRows does: the two
 * are written by the same statement, so they commit together. `source` has the columns
 * ledger_id (the new row's id), account_id, price and request_id; the caller has locked the
 * accounts' rows earlier in the statement.
 */
export function chargeLedgerCtes(source: string, now: number): RawBuilder<unknown> {
  return sql`ledger_charges as (
      insert into ledger (id, account_id, amount_cents, kind, request_id, reason, created_at)
      select ledger_id, account_id, -price, ${LedgerKind.charge}::text, request_id, null, ${now}::bigint from ${sql.table(source)} where price > 0
      returning account_id, amount_cents),
    ledger_balances as (
      update accounts set balance_cents = accounts.balance_cents + d.delta
      from (select account_id, sum(amount_cents) as delta from ledger_charges group by account_id) d
      where accounts.id = d.account_id and d.delta <> 0)`;
}

/** Appends one row: see appendLedgerRows. */
export async function appendLedger(trx: Transaction<Database>, entry: LedgerEntryInput): Promise<string> {
  const [id] = await appendLedgerRows(trx, [entry]);
  return id;
}

/**
 * Gives back what a request was charged, once. The unique (request_id, kind) index makes a
 * second refund impossible even if two paths race; this check keeps the common path free of
 * constraint errors. Returns the cents refunded (0 when nothing was charged or already refunded).
 */
export async function refundRequest(trx: Transaction<Database>, requestId: string, now: number, reason: string): Promise<number> {
  const rows = await trx.selectFrom('ledger').select(['kind', 'amount_cents', 'account_id']).where('request_id', '=', requestId).execute();
  const charge = rows.find((r) => r.kind === LedgerKind.charge);
  if (!charge || rows.some((r) => r.kind === LedgerKind.refund)) return 0;
  const amount = -Number(charge.amount_cents);
  await appendLedger(trx, { accountId: charge.account_id, amountCents: amount, kind: LedgerKind.refund, requestId, reason, now });
  return amount;
}

export interface LedgerRow {
  id: string;
  kind: LedgerTable['kind'];
  amountCents: number;
  requestId: string | null;
  reason: string | null;
  createdAt: number;
  runningBalanceCents: number;
}

/** The ledger in time order with a running balance, for statements and the back office. */
export async function listLedger(db: Db, accountId: string, limit = 1000): Promise<LedgerRow[]> {
  const rows = await db.selectFrom('ledger').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').limit(limit).execute();
  let running = 0;
  return rows.map((r) => {
    running += Number(r.amount_cents);
    return toLedgerRow(r, running);
  });
}

/** A stored ledger row as the API and back office show it (bigints read back as numbers). */
export function toLedgerRow(r: Selectable<LedgerTable>, runningBalanceCents: number): LedgerRow {
  return {
    id: r.id,
    kind: r.kind,
    amountCents: Number(r.amount_cents),
    requestId: r.request_id,
    reason: r.reason,
    createdAt: Number(r.created_at),
    runningBalanceCents,
  };
}
