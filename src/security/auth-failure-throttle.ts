import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';

/**
 * Failed authentications per client address: unknown or revoked keys, and tokens (lookup,
 * batch, delivery ids) that the key's account does not have. After `perMinute` failures within
 * a minute the address is refused with the rate-limit answer until that minute is over, before
 * its key is even looked up. Guessing is hopeless anyway (keys carry 192 random bits, tokens
 * 144), so this is about noise and load: a client scanning for keys or tokens is slowed down
 * to `perMinute` tries a minute and shows up in the log.
 *
 * In memory, per process, like the rate limiter. Logs one warn line per address and minute when
 * the limit is reached, with the address and the count; never the key or the token tried.
 */
export interface AuthFailureThrottle {
  /** true while the address is over its failures of the current minute: answer 429. */
  blocked(address: string): boolean;
  /** Counts a failure of the address (an unknown key or token). */
  failed(address: string, what: 'key' | 'token'): void;
}

const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 100_000;

export const noAuthFailureThrottle: AuthFailureThrottle = { blocked: () => false, failed: () => {} };

export function createAuthFailureThrottle(perMinute: number, clock: Clock, logger: Pick<Logger, 'warn'>): AuthFailureThrottle {
  if (perMinute <= 0) return noAuthFailureThrottle;
  const windows = new Map<string, { since: number; failures: number; keys: number; tokens: number }>();
  function current(address: string) {
    const now = clock.now();
    const window = windows.get(address);
    if (window && now - window.since < WINDOW_MS) return window;
    if (window) windows.delete(address);
    return null;
  }
  return {
    blocked(address) {
      const window = current(address);
      return window !== null && window.failures >= perMinute;
    },
    failed(address, what) {
      let window = current(address);
      if (!window) {
        if (windows.size >= MAX_ADDRESSES) windows.clear(); // bounded memory under a flood of addresses
        window = { since: clock.now(), failures: 0, keys: 0, tokens: 0 };
        windows.set(address, window);
      }
      window.failures++;
      if (what === 'key') window.keys++;
      else window.tokens++;
      if (window.failures === perMinute) {
        logger.warn(
          { address, failures: window.failures, unknownKeys: window.keys, unknownTokens: window.tokens, windowSeconds: WINDOW_MS / 1000 },
          'authentication failures from one address: throttled until the minute is over',
        );
      }
    },
  };
}
