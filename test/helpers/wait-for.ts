import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Between reads; 20 ms unless given. */
  intervalMs?: number;
  /** Give up (throw) after this long; 30 s unless given: a bound for failures, never a speed check. */
  timeoutMs?: number;
  /** Appended to the error: what the other side printed, the last value seen. */
  detail?: () => string;
}

/**
 * Reads until `ok` holds: for state another part of the service (or another process) changes
 * on its own, a worker answering, a breaker closing, a client writing its state file. Throws
 * naming `what`, with the last value read, once the bound has passed.
 */
export async function waitFor<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, what: string, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) {
      const last = typeof value === 'object' ? JSON.stringify(value)?.slice(0, 500) : String(value);
      throw new Error(`timed out waiting for ${what} (last read: ${last})${options.detail ? `\n${options.detail()}` : ''}`);
    }
    await sleep(options.intervalMs ?? 20);
  }
}
