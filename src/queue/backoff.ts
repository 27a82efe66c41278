/**
 * Exponential backoff with jitter: min(cap, base * 2^attempt) * (0.5 + 0.5 * random).
 * The jitter keeps retries of a batch that failed together from hitting a source together.
 */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 300_000, random = Math.random): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.5 + 0.5 * random()));
}
