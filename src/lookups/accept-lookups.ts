import type { Transaction } from 'kysely';
import { CercapecError, ErrorCode } from '../errors.ts';
import type { Account } from '../accounts/api-keys.ts';
import type { Database, RequestsTable } from '../store/schema.ts';
import { canSpend } from '../billing/balance.ts';
import { insertRows } from '../store/insert-rows.ts';
import type { Resolution } from '../registries/resolve-code.ts';
import { insertLookups, type NewLookup } from './insert-lookup.ts';
import { acceptInOneStatement, newLookupOf } from './accept-in-one-statement.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { AccountStatus } from '../accounts/account-status.ts';

/** A submission that passed every check that needs no store: valid code, inline answer asked. */
export interface PreparedSubmission {
  /** The token it gets if accepted. */
  id: string;
  account: Account;
  code: string;
  kind: 'cf16' | 'cf11';
  reference: string | null;
  callbackUrl: string | null;
  via: RequestsTable['via'];
  idempotency: { key: string; bodyHash: string } | null;
  answer: Exclude<Resolution, { outcome: 'error' }> | null;
}

export type Acceptance =
  | { ok: true; id: string; replayed: boolean; webhooks: number }
  /** A CercapecError for a refusal; anything else is a failure of the store, for a 503. */
  | { ok: false; error: unknown };

/**
 * Accepts a group of submissions in one transaction, each with its own outcome exactly as if it
 * were alone: a duplicate, an idempotent replay, a refusal for credit, or accepted (request,
 * charge, and job or answer). A refusal never fails the group: refusals are decided by reads,
 * before anything is written. If the transaction itself fails (a race caught by a unique index,
 * a lost connection), each submission is tried again alone, so one cannot sink the others.
 * On PostgreSQL a group whose outcomes do not depend on each other is accepted in one statement
 * instead (accept-in-one-statement.ts: one round trip where the transaction takes about ten).
 */
export async function acceptLookups(deps: LookupDeps, items: readonly PreparedSubmission[]): Promise<Acceptance[]> {
  try {
    const outcomes = await acceptInOneStatement(deps, items);
    if (outcomes) return outcomes;
  } catch (error) {
    // A race caught by a unique index (the statement reads before its lock is granted): decided
    // again below, reading after the lock. Anything else fails the transaction path too.
    if (!deps.store.dialect.isUniqueViolation(error)) deps.logger.warn({ err: error }, 'accepting in one statement failed');
  }
  try {
    return await deps.store.db.transaction().execute((trx) => acceptInTransaction(deps, trx, items));
  } catch (error) {
    if (items.length > 1) {
      const alone: Acceptance[] = [];
      for (const item of items) alone.push(await acceptAlone(deps, item));
      return alone;
    }
    if (deps.store.dialect.isUniqueViolation(error)) {
      return [{ ok: false, error: new CercapecError(ErrorCode.duplicateRequest, 'a request for this code is already present') }];
    }
    throw error;
  }
}

async function acceptAlone(deps: LookupDeps, item: PreparedSubmission): Promise<Acceptance> {
  try {
    return (await acceptLookups(deps, [item]))[0];
  } catch (error) {
    // Only this submission's caller sees its failure (as a 503 in its protocol).
    return { ok: false, error };
  }
}

async function acceptInTransaction(deps: LookupDeps, trx: Transaction<Database>, items: readonly PreparedSubmission[]): Promise<Acceptance[]> {
  const now = deps.clock.now();
  const accountIds = [...new Set(items.map((i) => i.account.id))].sort();
  // The terms are read from the locked row, not from the (possibly cached) account the key
  // opened: a price, a credit limit or a disabled account changed a moment ago applies here.
  // Rows are locked in id order, so concurrent groups never deadlock on each other.
  const terms = new Map(
    (
      await trx
        .selectFrom('accounts')
        .select(['id', 'balance_cents', 'price_cents', 'billing_mode', 'credit_limit_cents', 'status'])
        .where('id', 'in', accountIds)
        .orderBy('id')
        .$if(deps.store.dialect.rowLocks, (q) => q.forUpdate())
        .execute()
    ).map((r) => [
      r.id,
      {
        balance: Number(r.balance_cents),
        price: Number(r.price_cents),
        billing_mode: r.billing_mode,
        credit_limit_cents: r.credit_limit_cents === null ? null : Number(r.credit_limit_cents),
        active: r.status === AccountStatus.active,
      },
    ]),
  );
  const existing = await existingRequests(trx, accountIds, items);
  const replays = await idempotencyKeys(trx, accountIds, items);

  const outcomes: Acceptance[] = [];
  const accepted: NewLookup[] = [];
  const newKeys: { account_id: string; key: string; body_hash: string; request_id: string; created_at: number }[] = [];
  for (const item of items) {
    const accountId = item.account.id;
    const account = terms.get(accountId);
    if (!account?.active) {
      outcomes.push({ ok: false, error: new CercapecError(ErrorCode.keyInvalid, 'the account is disabled') });
      continue;
    }
    if (item.idempotency) {
      const seen = replays.get(`${accountId}\n${item.idempotency.key}`);
      if (seen && seen.bodyHash !== item.idempotency.bodyHash) {
        outcomes.push({ ok: false, error: new CercapecError(ErrorCode.idempotencyConflict, 'this Idempotency-Key was used with another request body') });
        continue;
      }
      if (seen) {
        outcomes.push({ ok: true, id: seen.requestId, replayed: true, webhooks: 0 });
        continue;
      }
    }
    const dedupKey = `${accountId}\n${item.code}`;
    const present = existing.get(dedupKey);
    if (present) {
      outcomes.push({ ok: false, error: new CercapecError(ErrorCode.duplicateRequest, 'a request for this code is already present', { id: present }) });
      continue;
    }
    if (account.price > 0 && !canSpend(account, account.balance, account.price)) {
      outcomes.push({ ok: false, error: new CercapecError(ErrorCode.insufficientCredit, 'insufficient credit') });
      continue;
    }
    account.balance -= account.price;
    existing.set(dedupKey, item.id);
    if (item.idempotency) {
      replays.set(`${accountId}\n${item.idempotency.key}`, { bodyHash: item.idempotency.bodyHash, requestId: item.id });
      newKeys.push({ account_id: accountId, key: item.idempotency.key, body_hash: item.idempotency.bodyHash, request_id: item.id, created_at: now });
    }
    accepted.push(newLookupOf(item, account.price, now));
    outcomes.push({ ok: true, id: item.id, replayed: false, webhooks: 0 });
  }
  const webhooks = await insertLookups(trx, accepted, { now, maxAttempts: deps.maxAttempts });
  await insertRows(trx, 'idempotency_keys', newKeys);
  // Wake-ups are per group: the count tells the caller whether to wake the webhook workers.
  const first = outcomes.find((o) => o.ok && !o.replayed);
  if (first?.ok) first.webhooks = webhooks;
  return outcomes;
}

/** Requests that still block their code, by account and code: one read for the whole group. */
async function existingRequests(trx: Transaction<Database>, accountIds: string[], items: readonly PreparedSubmission[]): Promise<Map<string, string>> {
  const codes = [...new Set(items.map((i) => i.code))];
  const rows = await trx
    .selectFrom('requests')
    .select(['account_id', 'dedup_code', 'id'])
    .where('account_id', 'in', accountIds)
    .where('dedup_code', 'in', codes)
    .execute();
  return new Map(rows.map((r) => [`${r.account_id}\n${r.dedup_code}`, r.id]));
}

async function idempotencyKeys(
  trx: Transaction<Database>,
  accountIds: string[],
  items: readonly PreparedSubmission[],
): Promise<Map<string, { bodyHash: string; requestId: string }>> {
  const keys = [...new Set(items.flatMap((i) => (i.idempotency ? [i.idempotency.key] : [])))];
  if (keys.length === 0) return new Map();
  const rows = await trx
    .selectFrom('idempotency_keys')
    .select(['account_id', 'key', 'body_hash', 'request_id'])
    .where('account_id', 'in', accountIds)
    .where('key', 'in', keys)
    .execute();
  return new Map(rows.map((r) => [`${r.account_id}\n${r.key}`, { bodyHash: r.body_hash, requestId: r.request_id }]));
}
