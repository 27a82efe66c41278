import type { Sleep } from './backoff.ts';

/**
 * One pause shared by every request of a client: when the server answers 429, nobody sends
 * until its Retry-After has passed, instead of each of the N concurrent workers hitting the
 * limit again on its own.
 */
export interface RateGate {
  /** Resolves when requests may be sent. */
  pass(signal?: AbortSignal): Promise<void>;
  /** The server said "retry after ms". */
  pause(ms: number): void;
}

export function createRateGate(now: () => number, sleep: Sleep): RateGate {
  let openAt = 0;
  return {
    async pass(signal) {
      for (let wait = openAt - now(); wait > 0; wait = openAt - now()) await sleep(wait, signal);
    },
    pause(ms) {
      openAt = Math.max(openAt, now() + ms);
    },
  };
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); `fallbackMs`
 * when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number, fallbackMs = 1_000): number {
  if (header === null || header.trim() === '') return fallbackMs;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - now);
}
