import { validateTaxId } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { newToken } from '../ids.ts';
import { balanceOf, canSpend } from '../billing/balance.ts';
import type { Account } from '../accounts/api-keys.ts';
import type { RequestsTable } from '../store/schema.ts';
import { insertLookup } from './insert-lookup.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { LOOKUP_QUEUE } from './lookup-status.ts';
import { resolveCode, type Resolution } from '../registries/resolve-code.ts';

export interface SubmitInput {
  account: Account;
  code: string;
  reference?: string | null;
  callbackUrl?: string | null;
  via: RequestsTable['via'];
  /** JSON API Idempotency-Key with the hash of the body it came with. */
  idempotency?: { key: string; bodyHash: string } | null;
}

export interface SubmitResult {
  id: string;
  code: string;
  /** true when an Idempotency-Key replay returned the lookup it created before (nothing charged). */
  replayed: boolean;
}

/**
 * Accepts a lookup: validates the code, refuses a duplicate of a request still present, charges
 * a prepaid account (refusing when credit is short), and stores the request with its job, all in
 * one transaction. Invalid codes and duplicates are never charged.
 */
export async function submitLookup(deps: LookupDeps, input: SubmitInput): Promise<SubmitResult> {
  const checked = validateTaxId(input.code);
  if (!checked.valid) {
    throw new CercapecError(ErrorCode.codeInvalid, checked.message, { reason: checked.reason });
  }
  const { account } = input;
  const now = deps.clock.now();
  const id = newToken();
  const price = account.price_cents;
  const idem = input.idempotency ?? null;
  let replayOf: string | null = null;
  let webhooks = 0;
  const answer = await answerInline(deps, id, checked.code, checked.kind, input.reference ?? account.default_reference ?? null, Number(account.operator_fallback ?? 0) === 1);
  try {
    await deps.store.db.transaction().execute(async (trx) => {
      await deps.store.dialect.lockAccount(trx, account.id);
      if (idem) {
        const seen = await trx
          .selectFrom('idempotency_keys')
          .select(['body_hash', 'request_id'])
          .where('account_id', '=', account.id)
          .where('key', '=', idem.key)
          .executeTakeFirst();
        if (seen && seen.body_hash !== idem.bodyHash) {
          throw new CercapecError(ErrorCode.idempotencyConflict, 'this Idempotency-Key was used with another request body');
        }
        if (seen) {
          replayOf = seen.request_id;
          return;
        }
      }
      const existing = await trx
        .selectFrom('requests')
        .select('id')
        .where('account_id', '=', account.id)
        .where('dedup_code', '=', checked.code)
        .executeTakeFirst();
      if (existing) throw new CercapecError(ErrorCode.duplicateRequest, 'a request for this code is already present', { id: existing.id });
      if (price > 0 && !canSpend(account, await balanceOf(trx, account.id), price)) {
        throw new CercapecError(ErrorCode.insufficientCredit, 'insufficient credit');
      }
      webhooks = await insertLookup(trx, {
        id,
        accountId: account.id,
        code: checked.code,
        kind: checked.kind,
        reference: input.reference ?? account.default_reference ?? null,
        callbackUrl: input.callbackUrl ?? null,
        priceCents: price,
        via: input.via,
        answer: answer ? { result: answer, at: deps.clock.now() } : null,
      }, { now, maxAttempts: deps.maxAttempts });
      if (idem) {
        await trx.insertInto('idempotency_keys').values({ account_id: account.id, key: idem.key, body_hash: idem.bodyHash, request_id: id, created_at: now }).execute();
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new CercapecError(ErrorCode.duplicateRequest, 'a request for this code is already present');
    }
    throw error;
  }
  if (replayOf) return { id: replayOf, code: checked.code, replayed: true };
  if (answer) deps.notifier.answered(id);
  else deps.notifier.jobAdded(LOOKUP_QUEUE);
  if (webhooks > 0) deps.notifier.jobAdded(WEBHOOK_QUEUE);
  return { id, code: checked.code, replayed: false };
}

/**
 * Asks the inline sources before the accepting transaction (on SQLite a read inside it would
 * wait for the connection the transaction holds). Any failure just sends the request through
 * the queue, where retries and the rest of the chain apply.
 */
async function answerInline(deps: LookupDeps, id: string, code: string, kind: 'cf16' | 'cf11', reference: string | null, operatorFallback: boolean): Promise<Exclude<Resolution, { outcome: 'error' }> | null> {
  if (!deps.inline) return null;
  const result = await resolveCode(deps.inline.chainFor(kind), { requestId: id, code, kind, reference }, deps.clock, AbortSignal.timeout(5000));
  if (result.outcome === 'found') return result;
  // A miss is final only when nobody else would look: no other source, and no operator.
  if (result.outcome === 'not_found' && deps.inline.isWholeChain(kind) && !operatorFallback) return result;
  return null;
}

/** The dedup index is the last line of defence if two submissions race past the check. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
