import type { Account } from '../../accounts/api-keys.ts';
import { isCercapecError } from '../../errors.ts';
import { formatEuro } from '../../resources/money.ts';
import { balanceOf } from '../../billing/balance.ts';
import type { LookupDeps } from '../../lookups/lookup-deps.ts';
import { submitLookup } from '../../lookups/submit-lookup.ts';
import { cancelLookupByCode } from '../../lookups/cancel-lookup.ts';
import { findPollState, findPollStateWithEpoch, findPollStateWithEpochNow } from '../../lookups/find-lookup.ts';
import type { CachedKey } from '../../accounts/key-cache.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { noAuthFailureThrottle, type AuthFailureThrottle } from '../../security/auth-failure-throttle.ts';
import { errorLine, Messages, messageForCode, type Method } from './messages.ts';
import { readField } from './fields.ts';
import { pollAnswer } from './answers.ts';

export interface TextAnswerDeps {
  lookups: LookupDeps;
  authenticate(key: string): Promise<Account | null>;
  /** The key cache's entry for a key, not yet checked against the auth epoch (KeyCache.peek); absent: polls authenticate first. */
  peekKey?(key: string): CachedKey | null;
  accountLimiter: RateLimiter;
  ipLimiter: RateLimiter;
  /** Unknown keys and tokens per address (absent: not throttled). */
  authFailures?: AuthFailureThrottle;
}

/** A text protocol request, parsed: the query string's fields and the form's (POST only). */
export interface TextRequest {
  method: Method;
  query: unknown;
  body?: unknown;
  /** The client address, as the rate limits and the failure throttle count it. */
  ip: string;
}

/** The one line of text/plain the protocol answers, with its HTTP status. */
export interface TextAnswer {
  status: number;
  line: string;
}

/** The protocol's answers (createTextAnswerer): every request through the call, a poll also at once. */
export interface TextAnswerer {
  (request: TextRequest): Promise<TextAnswer>;
  /**
   * A poll's answer at once, without a promise, when its key is in the cache (peekKey), the store
   * reads without waiting (findPollStateWithEpochNow) and the epoch has not moved: the same answer,
   * limits and throttle as the call. null: nothing was counted; answer the request with the call.
   */
  pollNow(query: unknown, ip: string): TextAnswer | null;
}

/** A protocol answer that ends the request early, with its HTTP status. */
class Answer extends Error {
  constructor(
    readonly line: string,
    readonly status = 200,
  ) {
    super(line);
  }
}

const OPERATIONS = ['cf', 'cf-delete', 'saldo'] as const;

/**
 * Answers `/index_ws.php` from parsed fields: poll (GET), submit, cancel and balance (POST).
 * Shared by the Fastify routes (routes.ts) and the fast path in front of them (fast-path.ts),
 * so both answer every input alike. Protocol errors are answers; anything else (the store
 * failing) is thrown, for the caller's error handler (see failureAnswer).
 */
export function createTextAnswerer(deps: TextAnswerDeps): TextAnswerer {
  const authFailures = deps.authFailures ?? noAuthFailureThrottle;

  async function authenticate(ip: string, method: Method, fields: Record<string, unknown>): Promise<Account> {
    admit(ip, method);
    return openKey(ip, method, required(method, fields, 'key', Messages.keyMissing));
  }

  function admit(ip: string, method: Method): void {
    if (!deps.ipLimiter.take(ip) || authFailures.blocked(ip)) throw new Answer(errorLine(method, Messages.tooMany), 429);
  }

  async function openKey(ip: string, method: Method, key: string): Promise<Account> {
    const account = await deps.authenticate(key);
    if (!account) {
      authFailures.failed(ip, 'key');
      throw new Answer(errorLine(method, Messages.keyInvalid));
    }
    if (!deps.accountLimiter.take(account.id)) throw new Answer(errorLine(method, Messages.tooMany), 429);
    return account;
  }

  async function answerPost(ip: string, fields: Record<string, unknown>): Promise<string> {
    const account = await authenticate(ip, 'POST', fields);
    const present = OPERATIONS.filter((op) => Object.hasOwn(fields, op));
    if (present.length > 1) return errorLine('POST', Messages.operationAmbiguous);
    switch (present[0]) {
      case 'cf': {
        const code = required('POST', fields, 'cf', Messages.codeMissing);
        const { id } = await submitLookup(deps.lookups, { account, code, via: 'text' });
        return `OK|${id}`;
      }
      case 'cf-delete': {
        const code = required('POST', fields, 'cf-delete', Messages.codeDeleteMissing);
        await cancelLookupByCode(deps.lookups, account, code);
        return `OK|${Messages.cancelledOk}`;
      }
      case 'saldo':
        return formatEuro(await balanceOf(deps.lookups.store.reader, account.id));
      default:
        return errorLine('POST', Object.hasOwn(fields, 'token') ? Messages.pollNeedsGet : Messages.operationMissing);
    }
  }

  /**
   * A poll whose key the cache holds: the request read also reads the auth epoch
   * (findPollStateWithEpoch), and the cached account stands if no change of keys, accounts or
   * terms came since it was cached. null: the epoch moved, or the fields are not a plain poll's;
   * the poll is answered the usual way, key first.
   */
  async function pollCachedKey(ip: string, key: string, fields: Record<string, unknown>): Promise<string | null> {
    const cached = deps.peekKey?.(key);
    if (!cached) return null;
    const token = readField(fields, 'token');
    if (!token.present || 'error' in token || token.value === '') return null;
    const { row, epoch } = await findPollStateWithEpoch(deps.lookups.store, cached.account.id, token.value);
    if (epoch !== cached.epoch) return null;
    if (!deps.accountLimiter.take(cached.account.id)) throw new Answer(errorLine('GET', Messages.tooMany), 429);
    if (!row) {
      authFailures.failed(ip, 'token');
      return errorLine('GET', Messages.tokenUnknown);
    }
    return pollAnswer(row);
  }

  async function answerGet(ip: string, fields: Record<string, unknown>): Promise<string> {
    admit(ip, 'GET');
    const key = required('GET', fields, 'key', Messages.keyMissing);
    const cachedAnswer = await pollCachedKey(ip, key, fields);
    if (cachedAnswer !== null) return cachedAnswer;
    const account = await openKey(ip, 'GET', key);
    if (!Object.hasOwn(fields, 'token')) {
      const op = OPERATIONS.find((o) => Object.hasOwn(fields, o));
      return errorLine('GET', op ? Messages.postOnly(op) : Messages.tokenMissing);
    }
    const token = required('GET', fields, 'token', Messages.tokenMissing);
    const request = await findPollState(deps.lookups.store, account.id, token);
    if (!request) {
      authFailures.failed(ip, 'token');
      return errorLine('GET', Messages.tokenUnknown);
    }
    return pollAnswer(request);
  }

  /**
   * answerGet for the common poll, synchronously: everything that could send it another way (no
   * cached key, an odd field, a store that cannot read at once, a read that failed, a moved epoch)
   * is checked before anything is counted, and returns null for answerGet to do it all. Then the
   * limits and the throttle count it as answerGet does (admit, then the account's limit).
   *
   * Why: a poll's promises (five async functions between the socket and the read) cost more CPU
   * than the read's own JavaScript; see docs/benchmarks.md.
   */
  function pollNow(query: unknown, ip: string): TextAnswer | null {
    if (!deps.peekKey) return null;
    const fields = asObject(query);
    const key = readField(fields, 'key');
    if (!key.present || 'error' in key || key.value === '') return null;
    const cached = deps.peekKey(key.value);
    if (!cached) return null;
    const token = readField(fields, 'token');
    if (!token.present || 'error' in token || token.value === '') return null;
    let state: ReturnType<typeof findPollStateWithEpochNow>;
    try {
      state = findPollStateWithEpochNow(deps.lookups.store, cached.account.id, token.value);
    } catch {
      // answerGet reads again and answers the failure (503, logged) as for any other request.
      return null;
    }
    if (state === null || state.epoch !== cached.epoch) return null;
    try {
      admit(ip, 'GET');
      if (!deps.accountLimiter.take(cached.account.id)) throw new Answer(errorLine('GET', Messages.tooMany), 429);
    } catch (error) {
      if (error instanceof Answer) return { status: error.status, line: error.line };
      throw error;
    }
    if (!state.row) {
      authFailures.failed(ip, 'token');
      return { status: 200, line: errorLine('GET', Messages.tokenUnknown) };
    }
    return { status: 200, line: pollAnswer(state.row) };
  }

  const answer = async ({ method, query, body, ip }: TextRequest): Promise<TextAnswer> => {
    try {
      const line = method === 'GET' ? await answerGet(ip, asObject(query)) : await answerPost(ip, { ...asObject(query), ...asObject(body) });
      return { status: 200, line };
    } catch (error) {
      if (error instanceof Answer) return { status: error.status, line: error.line };
      if (isCercapecError(error)) return { status: 200, line: errorLine(method, messageForCode(error.code, error.message)) };
      throw error;
    }
  };
  return Object.assign(answer, { pollNow });
}

/**
 * The answer for an error no protocol answer covers: a body that could not be read (the
 * client's, 4xx) or a failure of the service (503, to be logged). `reachedHandler`: whether
 * the error came from answering rather than from reading the body (busboy throws plain Errors,
 * without a status, on malformed multipart).
 */
export function failureAnswer(error: Error & { statusCode?: number; code?: string }, method: Method, reachedHandler: boolean): TextAnswer & { log: boolean } {
  const status = error.statusCode ?? (reachedHandler ? 500 : 400);
  if (status === 413 || error.code === 'FST_FILES_LIMIT' || error.code === 'FST_PARTS_LIMIT' || error.code === 'FST_FIELDS_LIMIT') {
    const message = error.code === 'FST_FILES_LIMIT' ? Messages.filesNotAllowed : Messages.bodyTooLarge;
    return { status: 413, line: errorLine(method, message), log: false };
  }
  if (status >= 400 && status < 500) return { status: status === 415 ? 415 : 400, line: errorLine(method, Messages.badBody), log: false };
  return { status: 503, line: errorLine(method, Messages.internal), log: true };
}

function required(method: Method, fields: Record<string, unknown>, name: string, missing: string): string {
  const field = readField(fields, name);
  if (!field.present) throw new Answer(errorLine(method, missing));
  if ('error' in field) {
    throw new Answer(errorLine(method, field.error === 'repeated' ? Messages.fieldRepeated(name) : Messages.fieldTooLong(name)));
  }
  if (field.value === '') throw new Answer(errorLine(method, missing));
  return field.value;
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
