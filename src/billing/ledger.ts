import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database, LedgerTable } from '../store/schema.ts';
import { insertRows } from '../store/insert-rows.ts';
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
export async function appendLedgerRows(trx: Transaction<Database>, entries: readonly LedgerEntryInput[]): Promise<string[]> {
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
