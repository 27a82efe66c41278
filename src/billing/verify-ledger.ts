import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface BalanceMismatch {
  accountId: string;
  name: string;
  storedCents: number;
  ledgerCents: number;
}

/**
 * Recomputes every account's ledger sum and compares it with the stored balance. The ledger is
 * the record: a mismatch means a writer bypassed billing/ledger.ts (or the store was edited by
 * hand). One grouped scan, meant for an operator's command, never for the request path.
 */
export async function verifyLedger(db: Kysely<Database>): Promise<{ accounts: number; mismatches: BalanceMismatch[] }> {
  const rows = await db
    .selectFrom('accounts')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('ledger')
          .select(['account_id', sql<number>`sum(amount_cents)`.as('total')])
          .groupBy('account_id')
          .as('sums'),
      (join) => join.onRef('sums.account_id', '=', 'accounts.id'),
    )
    .select(['accounts.id', 'accounts.name', 'accounts.balance_cents', 'sums.total'])
    .orderBy('accounts.id')
    .execute();
  const mismatches = rows
    .map((r) => ({ accountId: r.id, name: r.name, storedCents: Number(r.balance_cents), ledgerCents: Number(r.total ?? 0) }))
    .filter((m) => m.storedCents !== m.ledgerCents);
  return { accounts: rows.length, mismatches };
}
