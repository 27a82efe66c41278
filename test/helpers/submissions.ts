import type { Account } from '../../src/accounts/api-keys.ts';
import { newToken } from '../../src/ids.ts';
import type { PreparedSubmission } from '../../src/lookups/accept-lookups.ts';

/** A text-protocol submission of an 11-digit code as submitLookup prepares it: no answer, no idempotency key, unless `extra` says otherwise. */
export function preparedSubmission(account: Account, code: string, extra: Partial<PreparedSubmission> = {}): PreparedSubmission {
  return {
    id: newToken(),
    account,
    code,
    kind: 'cf11',
    reference: null,
    callbackUrl: null,
    via: 'text',
    idempotency: null,
    answer: null,
    ...extra,
  };
}
