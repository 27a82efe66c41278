/**
 * Reads until `ok` holds (every 20 ms, 10 s at most): for state another part of the service
 * changes on its own (a worker answering, a breaker closing). Throws naming `what` otherwise.
 */
export async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
