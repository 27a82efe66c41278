import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { LedgerKind } from './ledger-kind.ts';

export interface StatementRow {
  at: number;
  kind: typeof LedgerKind.charge | typeof LedgerKind.refund | typeof LedgerKind.search;
  /** Negative for a charge or a search, positive for a refund. */
  amountCents: number;
  requestId: string | null;
  /** The request's code and reference while the request is kept (retention deletes it; the ledger stays). */
  code: string | null;
  reference: string | null;
  /** The ledger's own words for a charge of no request (a watch's month: "sorveglianza PEC 2026-12"). */
  reason: string | null;
}

export interface UsageStatement {
  /** YYYY-MM, a UTC month like GET /v1/account/usage. */
  month: string;
  from: number;
  to: number;
  rows: StatementRow[];
  charges: number;
  refunds: number;
  chargedCents: number;
  refundedCents: number;
  /** Name searches charged (accounts with a search price) and their total. */
  searches: number;
  searchedCents: number;
  /** What to invoice: charged minus refunded, plus searches. */
  netCents: number;
}

export function monthRange(month: string): { from: number; to: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new CercapecError(ErrorCode.invalidArgument, 'the month must be YYYY-MM', { field: 'month' });
  const [year, mon] = [Number(m[1]), Number(m[2])];
  return { from: Date.UTC(year, mon - 1, 1), to: Date.UTC(year, mon, 1) };
}

/**
 * The charges, refunds and paid name searches of one account in one month, oldest first, with totals: what a
 * postpaid account is invoiced from. Read from the ledger (kept when retention deletes the
 * requests), with each request's code and reference while they still exist.
 */
export async function usageStatement(db: Kysely<Database>, accountId: string, month: string): Promise<UsageStatement> {
  const { from, to } = monthRange(month);
  const rows = await db
    .selectFrom('ledger')
    .leftJoin('requests', 'requests.id', 'ledger.request_id')
    .select(['ledger.created_at', 'ledger.kind', 'ledger.amount_cents', 'ledger.request_id', 'ledger.reason', 'requests.code', 'requests.reference'])
    .where('ledger.account_id', '=', accountId)
    .where('ledger.kind', 'in', [LedgerKind.charge, LedgerKind.refund, LedgerKind.search])
    .where('ledger.created_at', '>=', from)
    .where('ledger.created_at', '<', to)
    .orderBy('ledger.created_at')
    .orderBy('ledger.id')
    .execute();
  const out: StatementRow[] = rows.map((r) => ({
    at: Number(r.created_at),
    kind: r.kind as StatementRow['kind'],
    amountCents: Number(r.amount_cents),
    requestId: r.request_id,
    code: r.code ?? null,
    reference: r.reference ?? null,
    reason: r.request_id === null ? (r.reason ?? null) : null,
  }));
  const charges = out.filter((r) => r.kind === LedgerKind.charge);
  const refunds = out.filter((r) => r.kind === LedgerKind.refund);
  const chargedCents = -charges.reduce((sum, r) => sum + r.amountCents, 0);
  const refundedCents = refunds.reduce((sum, r) => sum + r.amountCents, 0);
  const searches = out.filter((r) => r.kind === LedgerKind.search);
  const searchedCents = -searches.reduce((sum, r) => sum + r.amountCents, 0);
  return {
    month,
    from,
    to,
    rows: out,
    charges: charges.length,
    refunds: refunds.length,
    chargedCents,
    refundedCents,
    searches: searches.length,
    searchedCents,
    netCents: chargedCents - refundedCents + searchedCents,
  };
}
