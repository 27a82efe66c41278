import type { Clock } from '../clock.ts';
import type { BreakerOptions } from './source-limits.ts';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CircuitBreaker {
  readonly state: BreakerState;
  /** true when a call may go: closed, or the one probe of a half-open breaker. */
  allow(): boolean;
  success(): void;
  failure(): void;
}

/**
 * Consecutive transient failures open the breaker; while open, calls are refused without
 * touching the source (it is skipped, and the request moves down the chain or waits). After
 * openMs a single probe is let through: its success closes the breaker, its failure opens it
 * again for another openMs.
 */
export function createCircuitBreaker(options: BreakerOptions, clock: Clock, onChange?: (state: BreakerState) => void): CircuitBreaker {
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probeInFlight = false;

  function set(next: BreakerState) {
    if (next === state) return;
    state = next;
    onChange?.(next);
  }

  return {
    get state() {
      if (state === 'open' && clock.now() - openedAt >= options.openMs) return 'half_open';
      return state;
    },
    allow() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (clock.now() - openedAt < options.openMs) return false;
        set('half_open');
        probeInFlight = false;
      }
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    success() {
      failures = 0;
      probeInFlight = false;
      set('closed');
    },
    failure() {
      probeInFlight = false;
      if (state === 'half_open') {
        openedAt = clock.now();
        set('open');
        return;
      }
      failures += 1;
      if (failures >= options.failureThreshold) {
        openedAt = clock.now();
        failures = 0;
        set('open');
      }
    },
  };
}
