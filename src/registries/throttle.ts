/**
 * A source's concurrency and rate limit together: acquire() resolves when a slot is free and a
 * token is in the bucket; release() frees the slot. Waiters are served in arrival order, and an
 * aborted waiter leaves the line.
 */
export interface Throttle {
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
}

export function createThrottle(concurrency: number, ratePerSecond: number): Throttle {
  let active = 0;
  const capacity = Math.max(1, ratePerSecond);
  let tokens = capacity;
  let refilledAt = performance.now();
  const waiters: Array<{ resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = [];
  let timer: NodeJS.Timeout | null = null;

  function refill() {
    const now = performance.now();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * ratePerSecond);
    refilledAt = now;
  }

  function pump() {
    refill();
    while (waiters.length > 0 && active < concurrency && tokens >= 1) {
      const w = waiters.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      active += 1;
      tokens -= 1;
      w.resolve();
    }
    if (waiters.length > 0 && active < concurrency && tokens < 1 && !timer) {
      // Wake when the next token is due (a full slot wakes us through release()).
      timer = setTimeout(
        () => {
          timer = null;
          pump();
        },
        Math.ceil(((1 - tokens) / ratePerSecond) * 1000),
      );
      timer.unref();
    }
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const waiter: (typeof waiters)[number] = { resolve, reject, signal };
        if (signal) {
          waiter.onAbort = () => {
            const i = waiters.indexOf(waiter);
            if (i >= 0) waiters.splice(i, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        waiters.push(waiter);
        pump();
      });
    },
    release() {
      active = Math.max(0, active - 1);
      pump();
    },
  };
}
