import type { Store } from '../store/store.ts';
import type { AccountsTable } from '../store/schema.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { normalizeAccount, type Account } from './api-keys.ts';
import { authChangeCommitted, recordAuthChange } from './auth-changes.ts';
import { BILLING_MODES } from '../billing/billing-mode.ts';
import { ACCOUNT_STATUSES } from './account-status.ts';

/** What the back office edits on an account; fields left out stay as they are. */
export interface AccountTerms {
  name?: string;
  billingMode?: AccountsTable['billing_mode'];
  priceCents?: number;
  /** null: no limit on a postpaid account, 0 on a prepaid one. */
  creditLimitCents?: number | null;
  status?: AccountsTable['status'];
  operatorFallback?: boolean;
  /** Monthly price of a watched code; null: watches are free. */
  watchPriceCents?: number | null;
  /** Price of a verification; null: the lookup price. */
  verificationPriceCents?: number | null;
  /** Price of one name search; 0: free. */
  searchPriceCents?: number;
}

function check(terms: AccountTerms): void {
  if (terms.name !== undefined && !terms.name.trim()) throw new CercapecError(ErrorCode.invalidArgument, 'the account name is empty', { field: 'name' });
  if (terms.billingMode !== undefined && !BILLING_MODES.includes(terms.billingMode)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'billing must be prepaid or postpaid', { field: 'billing_mode' });
  }
  if (terms.priceCents !== undefined && (!Number.isSafeInteger(terms.priceCents) || terms.priceCents < 0)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the price must be a whole number of cents, 0 or more', { field: 'price' });
  }
  for (const [field, value] of [
    ['watch_price', terms.watchPriceCents],
    ['verification_price', terms.verificationPriceCents],
  ] as const) {
    if (value !== undefined && value !== null && (!Number.isSafeInteger(value) || value < 0)) {
      throw new CercapecError(ErrorCode.invalidArgument, 'the price must be a whole number of cents, 0 or more', { field });
    }
  }
  if (terms.searchPriceCents !== undefined && (!Number.isSafeInteger(terms.searchPriceCents) || terms.searchPriceCents < 0)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the search price must be a whole number of cents, 0 or more', { field: 'search_price' });
  }
  const limit = terms.creditLimitCents;
  if (limit !== undefined && limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the credit limit must be a whole number of cents, 0 or more', { field: 'credit_limit' });
  }
  if (terms.status !== undefined && !ACCOUNT_STATUSES.includes(terms.status)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the status must be active or disabled', { field: 'status' });
  }
}

/**
 * Changes an account's name, billing mode, price, credit limit, status or operator fallback, with
 * the fields that changed (before and after) in the audit log, in one transaction. A new price
 * applies to requests accepted from now on; charges already made stay as they were.
 */
export async function updateAccount(store: Store, accountId: string, now: number, terms: AccountTerms, audit?: AuditBy): Promise<Account> {
  check(terms);
  let changed = false;
  const account = await store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    const row = await trx.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new CercapecError(ErrorCode.accountNotFound, `no account ${accountId}`);
    const current = normalizeAccount(row);
    const wanted: Partial<Record<keyof AccountsTable, unknown>> = {
      name: terms.name?.trim(),
      billing_mode: terms.billingMode,
      price_cents: terms.priceCents,
      credit_limit_cents: terms.creditLimitCents,
      status: terms.status,
      operator_fallback: terms.operatorFallback === undefined ? undefined : terms.operatorFallback ? 1 : 0,
      watch_price_cents: terms.watchPriceCents,
      verification_price_cents: terms.verificationPriceCents,
      search_price_cents: terms.searchPriceCents,
    };
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(wanted)) {
      const old = current[field as keyof Account];
      if (value === undefined || value === old) continue;
      before[field] = old;
      after[field] = value;
    }
    if (Object.keys(after).length === 0) return current;
    await trx
      .updateTable('accounts')
      .set({ ...after, updated_at: now })
      .where('id', '=', accountId)
      .execute();
    // Caches of key -> account hold the old terms: every process forgets them.
    await recordAuthChange(trx, store);
    changed = true;
    if (audit) await recordAudit(trx, { at: now, actor: audit.actor, action: 'account.update', target: accountId, before, after });
    return normalizeAccount(await trx.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow());
  });
  if (changed) authChangeCommitted(store);
  return account;
}
