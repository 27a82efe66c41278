/**
 * Typed errors with stable codes. Each protocol maps a code to its own wording (the text
 * protocol's Italian `Error|` lines, problem+json types on the JSON API, CLI messages), so the
 * code, not the message, is the contract.
 */
export const ErrorCode = {
  keyMissing: 'key_missing',
  keyInvalid: 'key_invalid',
  codeMissing: 'code_missing',
  codeInvalid: 'code_invalid',
  duplicateRequest: 'duplicate_request',
  insufficientCredit: 'insufficient_credit',
  tokenMissing: 'token_missing',
  tokenUnknown: 'token_unknown',
  noRequestForCode: 'no_request_for_code',
  accountNotFound: 'account_not_found',
  keyNotFound: 'key_not_found',
  /** The key exists but belongs to another account than the one acting on it. */
  keyOfAnotherAccount: 'key_of_another_account',
  invalidArgument: 'invalid_argument',
  rateLimited: 'rate_limited',
  datasetInvalid: 'dataset_invalid',
  idempotencyConflict: 'idempotency_conflict',
  lookupNotFound: 'lookup_not_found',
  notCancellable: 'not_cancellable',
  // back office
  userNotFound: 'user_not_found',
  operatorLeaseLost: 'operator_lease_lost',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CercapecError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CercapecError';
  }
}

export function isCercapecError(err: unknown, code?: ErrorCode): err is CercapecError {
  return err instanceof CercapecError && (code === undefined || err.code === code);
}
