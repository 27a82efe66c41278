import type { FastifyRequest } from 'fastify';
import type { Account } from '../../accounts/api-keys.ts';
import type { Registry } from '../../registries/registry.ts';
import type { LookupDeps } from '../../lookups/lookup-deps.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { AuthFailureThrottle } from '../../security/auth-failure-throttle.ts';

/** What the JSON routes need, passed in by the plugin. */
export interface JsonApiDeps {
  lookups: LookupDeps;
  authenticate(key: string): Promise<Account | null>;
  accountLimiter: RateLimiter;
  ipLimiter: RateLimiter;
  /** Unknown keys and ids per address (absent: not throttled). */
  authFailures?: AuthFailureThrottle;
  allowPrivateCallbacks: boolean;
  /** Longest ?wait= in seconds. */
  maxWaitSeconds: number;
  /** The source whose own point-in-time check is added to verifications (INAD /verify); absent: history only. */
  verifier?: Registry;
  /** Batch upload limits (config batchMaxRows, batchMaxBytes); absent: 100,000 rows, 50 MB. */
  batch?: { maxRows: number; maxBytes: number; maxInflatedBytes?: number; xlsxConcurrency?: number; xlsxWaitMs?: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    account: Account | null;
  }
}

export function accountOf(req: FastifyRequest): Account {
  if (!req.account) throw new Error('route without authentication');
  return req.account;
}
