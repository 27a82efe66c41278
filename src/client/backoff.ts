import { setTimeout as delay } from 'node:timers/promises';

/** Waiting between polls and retries: exponential, capped, jittered; cancellable. */

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Polls of a WAITing token: 1 s, 2 s, 4 s, … up to 30 s (the original says answers take 2-3 minutes). */
export const POLL_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000 };

/**
 * The delay before attempt `attempt` (0-based): `min(cap, base·2^attempt)`, scaled by a random
 * factor in [0.5, 1) so thousands of tokens submitted together do not poll in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export const sleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal?.aborted ? signal.reason : error;
  });
};
