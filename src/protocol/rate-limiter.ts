import type { Clock } from '../clock.ts';

/**
 * A token bucket per subject (key hash or client address): `perMinute` requests a minute on
 * average, bursts up to a tenth of a minute's worth. In memory, per process: with several API
 * processes each enforces its own share.
 */
export interface RateLimiter {
  /** true when the request may proceed. */
  take(subject: string): boolean;
}

export function createRateLimiter(perMinute: number, clock: Clock): RateLimiter {
  if (perMinute <= 0) return { take: () => true };
  const capacity = Math.max(10, Math.ceil(perMinute / 10));
  const refillPerMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(subject) {
      const now = clock.now();
      let bucket = buckets.get(subject);
      if (!bucket) {
        if (buckets.size > 100_000) buckets.clear(); // bounded memory under a flood of subjects
        bucket = { tokens: capacity, at: now };
        buckets.set(subject, bucket);
      }
      bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * refillPerMs);
      bucket.at = now;
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
