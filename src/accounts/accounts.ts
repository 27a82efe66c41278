import type { Store } from '../store/store.ts';
import { newId } from '../ids.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { appendLedger } from '../billing/ledger.ts';
import { balanceOf } from '../billing/balance.ts';
import { addApiKey, normalizeAccount, type Account, type CreatedKey } from './api-keys.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { AccountStatus } from './account-status.ts';
import type { BillingMode } from '../billing/billing-mode.ts';
import { LedgerKind } from '../billing/ledger-kind.ts';

export interface NewAccount {
  name: string;
  billingMode: BillingMode;
  priceCents: number;
  creditLimitCents?: number | null;
  /** Opening credit, booked as a top-up in the ledger. */
  initialCreditCents?: number;
  defaultReference?: string | null;
  /** Requests no registry could answer wait for a person (the operator queue). */
  operatorFallback?: boolean;
  /** Price of one name search (GET /v1/search); 0 or absent: free. */
  searchPriceCents?: number;
}

export async function createAccount(
  store: Store,
  now: number,
  input: NewAccount,
  options: { key?: string; audit?: AuditBy } = {},
): Promise<{ account: Account; key: CreatedKey }> {
  const name = input.name.trim();
  if (!name) throw new CercapecError(ErrorCode.invalidArgument, 'the account name is empty');
  if (!Number.isSafeInteger(input.priceCents) || input.priceCents < 0) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the price must be a whole number of cents, 0 or more');
  }
  const limit = input.creditLimitCents ?? null;
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the credit limit must be a whole number of cents, 0 or more');
  }
  const searchPrice = input.searchPriceCents ?? 0;
  if (!Number.isSafeInteger(searchPrice) || searchPrice < 0) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the search price must be a whole number of cents, 0 or more');
  }
  const opening = input.initialCreditCents ?? 0;
  if (!Number.isSafeInteger(opening) || opening < 0) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the opening credit must be a whole number of cents, 0 or more');
  }
  const id = newId('acc', now);
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({
        id,
        name,
        billing_mode: input.billingMode,
        price_cents: input.priceCents,
        credit_limit_cents: limit,
        status: AccountStatus.active,
        default_reference: input.defaultReference ?? null,
        balance_cents: 0,
        operator_fallback: input.operatorFallback ? 1 : 0,
        search_price_cents: searchPrice,
        created_at: now,
        updated_at: now,
      })
      .execute();
    if (opening > 0) {
      await appendLedger(trx, { accountId: id, amountCents: opening, kind: LedgerKind.topup, reason: 'credito iniziale', now });
    }
    if (options.audit) {
      const after = {
        name,
        billing_mode: input.billingMode,
        price_cents: input.priceCents,
        credit_limit_cents: limit,
        opening_credit_cents: opening,
        operator_fallback: input.operatorFallback ? 1 : 0,
        search_price_cents: searchPrice,
      };
      await recordAudit(trx, { at: now, actor: options.audit.actor, action: 'account.create', target: id, before: null, after });
    }
  });
  const key = await addApiKey(store, id, now, options);
  const account = await getAccount(store, id);
  return { account: account!, key };
}

export async function getAccount(store: Store, id: string): Promise<Account | null> {
  const row = await store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? normalizeAccount(row) : null;
}

/** Finds an account by id or, failing that, by exact name (for the CLI). */
export async function resolveAccount(store: Store, idOrName: string): Promise<Account> {
  const byId = await getAccount(store, idOrName);
  if (byId) return byId;
  const byName = await store.db.selectFrom('accounts').selectAll().where('name', '=', idOrName).execute();
  if (byName.length === 1) return normalizeAccount(byName[0]);
  if (byName.length > 1) throw new CercapecError(ErrorCode.invalidArgument, `several accounts are named "${idOrName}": use the id`);
  throw new CercapecError(ErrorCode.accountNotFound, `no account "${idOrName}"`);
}

export interface AccountSummary extends Account {
  balanceCents: number;
  activeKeys: number;
}

export async function listAccounts(store: Store): Promise<AccountSummary[]> {
  const rows = await store.db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
  const out: AccountSummary[] = [];
  for (const row of rows) {
    const keys = await store.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', row.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    out.push({ ...normalizeAccount(row), balanceCents: await balanceOf(store.db, row.id), activeKeys: Number(keys.n) });
  }
  return out;
}

/** Adds credit (positive) or takes it back (negative, an adjustment), always with a ledger row. */
export async function topUp(store: Store, accountId: string, cents: number, now: number, reason?: string, audit?: AuditBy): Promise<number> {
  if (!Number.isSafeInteger(cents) || cents === 0) {
    throw new CercapecError(ErrorCode.invalidArgument, 'the amount must be a non-zero whole number of cents');
  }
  return store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    await appendLedger(trx, {
      accountId,
      amountCents: cents,
      kind: cents > 0 ? LedgerKind.topup : LedgerKind.adjustment,
      reason: reason ?? (cents > 0 ? 'ricarica' : 'rettifica'),
      now,
    });
    const balance = await balanceOf(trx, accountId);
    if (audit) {
      await recordAudit(trx, {
        at: now,
        actor: audit.actor,
        action: cents > 0 ? 'ledger.topup' : 'ledger.adjustment',
        target: accountId,
        before: { balance_cents: balance - cents },
        after: { balance_cents: balance, amount_cents: cents, reason: reason ?? null },
      });
    }
    return balance;
  });
}
