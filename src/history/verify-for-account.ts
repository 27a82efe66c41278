import type { Store } from '../store/store.ts';
import { appendLedger } from '../billing/ledger.ts';
import { canSpend } from '../billing/balance.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { validateTaxId } from '../taxid/index.ts';
import { outcomeOf, verifyAddress, type Evidence, type Verification } from './verify-address.ts';
import { RegistryError, type Registry } from '../registries/registry.ts';
import { LedgerKind } from '../billing/ledger-kind.ts';

/** How long the customer's request waits for INAD's /verify. */
const REMOTE_TIMEOUT_MS = 15_000;

/**
 * A customer's verification (GET /v1/verifications): priced like a lookup, or at the account's
 * own verification price, charged in the transaction that reads the history (a prepaid account
 * that cannot pay gets insufficient_credit and nothing is read).
 */
export async function verifyForAccount(
  store: Store,
  accountId: string,
  q: { code: string; pec: string; at: number; now: number },
  remote?: Registry,
): Promise<Verification & { chargedCents: number }> {
  const checked = validateTaxId(q.code);
  if (!checked.valid) throw new CercapecError(ErrorCode.codeInvalid, checked.message, { reason: checked.reason });
  const local = await store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    const account = await trx
      .selectFrom('accounts')
      .select(['billing_mode', 'credit_limit_cents', 'balance_cents', 'price_cents', 'verification_price_cents', 'default_reference'])
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    const price = Number(account.verification_price_cents ?? account.price_cents);
    if (!canSpend(account, Number(account.balance_cents), price)) throw new CercapecError(ErrorCode.insufficientCredit, 'credito insufficiente');
    if (price > 0) await appendLedger(trx, { accountId, amountCents: -price, kind: LedgerKind.charge, reason: 'verifica PEC', now: q.now });
    return { ...(await verifyAddress(trx, checked.code, q.pec.trim(), q.at)), chargedCents: price, reference: account.default_reference };
  });
  const { reference, ...verification } = local;
  // INAD is asked outside the transaction (no lock held over a remote call), only for a cf16
  // and only with the account's own purpose: INAD records every check under it.
  if (!remote?.verifyAddress || checked.kind !== 'cf16' || !reference?.trim()) return verification;
  const item = await remoteEvidence(remote, { code: checked.code, pec: q.pec.trim(), at: q.at, reference: reference.trim() }, q.now);
  const evidence = [...verification.evidence, item];
  return { ...verification, outcome: outcomeOf(evidence), evidence };
}

/** The remote source's answer as one evidence item; a failure or a code it refuses is an item with `error`, never a thrown error. */
async function remoteEvidence(remote: Registry, q: { code: string; pec: string; at: number; reference: string }, now: number): Promise<Evidence> {
  const day = new Date(q.at).toISOString();
  const base = { source: remote.id, observedAt: new Date(now).toISOString(), validFrom: day, validTo: day };
  const skip = remote.skipReason?.({ requestId: 'verify', code: q.code, kind: 'cf16', reference: q.reference });
  if (skip) return { ...base, pec: null, matches: false, error: skip };
  try {
    const answer = await remote.verifyAddress!(q, AbortSignal.timeout(REMOTE_TIMEOUT_MS));
    return { ...base, pec: q.pec, matches: answer.matches, observedAt: new Date(answer.checkedAt ?? now).toISOString() };
  } catch (error) {
    const message = error instanceof RegistryError ? error.message : 'errore di comunicazione con la sorgente';
    return { ...base, pec: null, matches: false, error: message.slice(0, 300) };
  }
}
