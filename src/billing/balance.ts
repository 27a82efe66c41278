import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { BillingMode } from './billing-mode.ts';

/**
 * The account's balance in cents: the stored running sum of its ledger (one row read, whatever
 * the ledger's length; billing/ledger.ts keeps it). 0 for an unknown account.
 */
export async function balanceOf(db: Kysely<Database> | Transaction<Database>, accountId: string): Promise<number> {
  const row = await db.selectFrom('accounts').select('balance_cents').where('id', '=', accountId).executeTakeFirst();
  return row ? Number(row.balance_cents) : 0;
}

export interface CreditTerms {
  billing_mode: BillingMode;
  credit_limit_cents: number | null;
}

/**
 * Whether an account may spend `amount` more. Prepaid accounts may not go below minus their
 * credit limit (0 by default); postpaid accounts are unlimited unless a limit is set.
 */
export function canSpend(account: CreditTerms, balance: number, amount: number): boolean {
  if (amount <= 0) return true;
  return balance - amount >= -creditLimitOf(account);
}

/** How far below zero the balance may go (Infinity for a postpaid account without a limit). */
export function creditLimitOf(account: CreditTerms): number {
  return account.credit_limit_cents ?? (account.billing_mode === BillingMode.postpaid ? Infinity : 0);
}
