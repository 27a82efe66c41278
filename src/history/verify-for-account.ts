import type { Store } from '../store/store.ts';
import { appendLedger } from '../billing/ledger.ts';
import { canSpend } from '../billing/balance.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { validateTaxId } from '../taxid/index.ts';
import { verifyAddress, type Verification } from './verify-address.ts';

/**
 * A customer's verification (GET /v1/verifications): priced like a lookup, or at the account's
 * own verification price, charged in the transaction that reads the history (a prepaid account
 * that cannot pay gets insufficient_credit and nothing is read).
 */
export async function verifyForAccount(store: Store, accountId: string, q: { code: string; pec: string; at: number; now: number }): Promise<Verification & { chargedCents: number }> {
  const checked = validateTaxId(q.code);
  if (!checked.valid) throw new CercapecError(ErrorCode.codeInvalid, checked.message, { reason: checked.reason });
  return store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    const account = await trx.selectFrom('accounts').select(['billing_mode', 'credit_limit_cents', 'balance_cents', 'price_cents', 'verification_price_cents']).where('id', '=', accountId).executeTakeFirstOrThrow();
    const price = Number(account.verification_price_cents ?? account.price_cents);
    if (!canSpend(account, Number(account.balance_cents), price)) throw new CercapecError(ErrorCode.insufficientCredit, 'credito insufficiente');
    if (price > 0) await appendLedger(trx, { accountId, amountCents: -price, kind: 'charge', reason: 'verifica PEC', now: q.now });
    return { ...(await verifyAddress(trx, checked.code, q.pec.trim(), q.at)), chargedCents: price };
  });
}
