import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, LedgerTable } from '../store/schema.ts';
import { newId } from '../ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface LedgerEntryInput {
  accountId: string;
  amountCents: number;
  kind: LedgerTable['kind'];
  requestId?: string | null;
  reason?: string | null;
  now: number;
}

/** Appends one row. The ledger is append-only: corrections are new rows, never updates. */
export async function appendLedger(db: Db, entry: LedgerEntryInput): Promise<string> {
  const id = newId('led', entry.now);
  await db
    .insertInto('ledger')
    .values({
      id,
      account_id: entry.accountId,
      amount_cents: entry.amountCents,
      kind: entry.kind,
      request_id: entry.requestId ?? null,
      reason: entry.reason ?? null,
      created_at: entry.now,
    })
    .execute();
  return id;
}

/**
 * Gives back what a request was charged, once. The unique (request_id, kind) index makes a
 * second refund impossible even if two paths race; this check keeps the common path free of
 * constraint errors. Returns the cents refunded (0 when nothing was charged or already refunded).
 */
export async function refundRequest(db: Db, requestId: string, now: number, reason: string): Promise<number> {
  const rows = await db
    .selectFrom('ledger')
    .select(['kind', 'amount_cents', 'account_id'])
    .where('request_id', '=', requestId)
    .execute();
  const charge = rows.find((r) => r.kind === 'charge');
  if (!charge || rows.some((r) => r.kind === 'refund')) return 0;
  const amount = -Number(charge.amount_cents);
  await appendLedger(db, { accountId: charge.account_id, amountCents: amount, kind: 'refund', requestId, reason, now });
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
  const rows = await db
    .selectFrom('ledger')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
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
