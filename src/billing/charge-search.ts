import type { Store } from '../store/store.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { appendLedger } from './ledger.ts';
import { canSpend } from './balance.ts';
import { LedgerKind } from './ledger-kind.ts';

/**
 * Charges one name search at the account's search price, read inside the transaction (a price
 * changed a moment ago applies). Free (no ledger row) when the price is 0. A prepaid account
 * without the credit is refused with insufficient_credit, like a lookup. Returns the cents charged.
 */
export async function chargeSearch(store: Store, accountId: string, now: number): Promise<number> {
  return store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    const row = await trx
      .selectFrom('accounts')
      .select(['balance_cents', 'search_price_cents', 'billing_mode', 'credit_limit_cents'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) throw new CercapecError(ErrorCode.accountNotFound, `no account ${accountId}`);
    const price = Number(row.search_price_cents);
    if (price <= 0) return 0;
    const terms = { billing_mode: row.billing_mode, credit_limit_cents: row.credit_limit_cents === null ? null : Number(row.credit_limit_cents) };
    if (!canSpend(terms, Number(row.balance_cents), price)) throw new CercapecError(ErrorCode.insufficientCredit, 'insufficient credit for a search');
    await appendLedger(trx, { accountId, amountCents: -price, kind: LedgerKind.search, reason: 'ricerca per nome', now });
    return price;
  });
}
