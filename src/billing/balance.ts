import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/** The balance is never stored: it is the sum of the account's ledger rows, in cents. */
export async function balanceOf(db: Kysely<Database> | Transaction<Database>, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('ledger')
    .select(sql<number>`coalesce(sum(amount_cents), 0)`.as('balance'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.balance);
}

export interface CreditTerms {
  billing_mode: 'prepaid' | 'postpaid';
  credit_limit_cents: number | null;
}

/**
 * Whether an account may spend `amount` more. Prepaid accounts may not go below minus their
 * credit limit (0 by default); postpaid accounts are unlimited unless a limit is set.
 */
export function canSpend(account: CreditTerms, balance: number, amount: number): boolean {
  if (amount <= 0) return true;
  const limit = account.credit_limit_cents ?? (account.billing_mode === 'postpaid' ? Infinity : 0);
  return balance - amount >= -limit;
}
