import { validateTaxId } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { newToken } from '../ids.ts';
import type { Account } from '../accounts/api-keys.ts';
import type { RequestsTable } from '../store/schema.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { LOOKUP_QUEUE } from './lookup-status.ts';
import { resolveCode, type Resolution } from '../registries/resolve-code.ts';
import { acceptLookups, type PreparedSubmission } from './accept-lookups.ts';

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
 * Accepts a lookup: validates the code, asks the inline sources, then hands it to the group
 * commit (deps.accept), which refuses a duplicate of a request still present, charges a prepaid
 * account (refusing when credit is short) and stores the request with its job or answer, in one
 * transaction shared with the submissions that arrived at the same time. Nothing is answered
 * before that transaction committed. Invalid codes and duplicates are never charged.
 */
export async function submitLookup(deps: LookupDeps, input: SubmitInput): Promise<SubmitResult> {
  const checked = validateTaxId(input.code);
  if (!checked.valid) {
    throw new CercapecError(ErrorCode.codeInvalid, checked.message, { reason: checked.reason });
  }
  const { account } = input;
  const id = newToken();
  const reference = input.reference ?? account.default_reference ?? null;
  const answer = await answerInline(deps, id, checked.code, checked.kind, reference, Number(account.operator_fallback ?? 0) === 1);
  const prepared: PreparedSubmission = {
    id,
    account,
    code: checked.code,
    kind: checked.kind,
    reference,
    callbackUrl: input.callbackUrl ?? null,
    via: input.via,
    idempotency: input.idempotency ?? null,
    answer,
  };
  const outcome = deps.accept ? await deps.accept(prepared) : (await acceptLookups(deps, [prepared]))[0];
  if (!outcome.ok) throw outcome.error;
  if (outcome.replayed) return { id: outcome.id, code: checked.code, replayed: true };
  // An answer given while accepting wakes no one: a long poll waits only for a request it has
  // read as pending, and this one was never pending, nor its id known, before its commit. On
  // PostgreSQL the wake-up was a pg_notify per submission, heard back by this process's own
  // LISTEN connection: a statement per group and a notification per submission, for nothing.
  if (!answer) deps.notifier.jobAdded(LOOKUP_QUEUE);
  if (outcome.webhooks > 0) deps.notifier.jobAdded(WEBHOOK_QUEUE);
  return { id, code: checked.code, replayed: false };
}

/**
 * The inline sources read the store (LookupDeps.inline): nothing to abort. An
 * AbortSignal.timeout(5000) per submission cost 8-20 µs of CPU and kept a timer alive for 5 s
 * (tens of thousands at once under load) for a read that cannot honour it.
 */
const NO_DEADLINE = new AbortController().signal;

/**
 * Asks the inline sources before the accepting transaction (on SQLite a read inside it would
 * wait for the connection the transaction holds). Any failure just sends the request through
 * the queue, where retries and the rest of the chain apply.
 */
async function answerInline(
  deps: LookupDeps,
  id: string,
  code: string,
  kind: 'cf16' | 'cf11',
  reference: string | null,
  operatorFallback: boolean,
): Promise<Exclude<Resolution, { outcome: 'error' }> | null> {
  if (!deps.inline) return null;
  const result = await resolveCode(deps.inline.chainFor(kind), { requestId: id, code, kind, reference }, deps.clock, NO_DEADLINE);
  if (result.outcome === 'found') return result;
  // A miss is final only when nobody else would look: no other source, and no operator.
  if (result.outcome === 'not_found' && deps.inline.isWholeChain(kind) && !operatorFallback) return result;
  return null;
}
