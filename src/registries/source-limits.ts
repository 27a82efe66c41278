import { z } from 'zod';

/**
 * How hard cercapec may lean on one source. Every HTTP call a client makes goes through these
 * (src/registries/http-client.ts), so they hold whether the client asks code by code or in
 * batches. Defaults are conservative: registries are shared public services.
 */
export const SourceLimitsSchema = z.object({
  /** HTTP calls to the source in flight at once, per process. */
  concurrency: z.number().int().min(1).max(256).default(4),
  /** HTTP calls started per second, per process (token bucket, bursts up to one second's worth). */
  ratePerSecond: z.number().min(0.01).max(10_000).default(10),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(4_000),
  /** Waiting for the response headers, then for each chunk of the body. */
  readTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
  /** Retries of a transient failure within one lookup, before the job itself backs off. */
  retries: z.number().int().min(0).max(10).default(2),
  /** First retry delay; doubles each time, with jitter. */
  retryBaseMs: z.number().int().min(0).max(60_000).default(250),
  /** Most codes in one bulk request, for sources that have a bulk call. */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** How long a bulk request waits for more codes after the first, before it goes. */
  batchDelayMs: z.number().int().min(0).max(60_000).default(200),
});

export type SourceLimits = z.infer<typeof SourceLimitsSchema>;

export const BreakerSchema = z.object({
  /** Consecutive transient failures that open the breaker (the source is skipped). */
  failureThreshold: z.number().int().min(1).max(1000).default(5),
  /** How long the breaker stays open before one probe is let through (half-open). */
  openMs: z.number().int().min(100).max(3_600_000).default(30_000),
});

export type BreakerOptions = z.infer<typeof BreakerSchema>;

export const CacheSchema = z.object({
  /** How long a found answer is reused for the same code. 0 turns the cache off for the source. */
  ttlDays: z.number().min(0).max(365).default(14),
  /** How long "not found" is reused: addresses appear every day, so much shorter. */
  notFoundTtlHours: z
    .number()
    .min(0)
    .max(24 * 365)
    .default(24),
});

export type CacheOptions = z.infer<typeof CacheSchema>;
