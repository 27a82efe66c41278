/**
 * A small semaphore for XLSX parses. A refused zip bomb still costs its reader 100-200 MB of
 * memory for a moment (inflate windows, exceljs's parser, shared strings up to their cap), so 16
 * at once reached 2.7 GB (issue 15, item 2). At most `size` parse at a time; the others wait up
 * to `waitMs` for a slot and are then turned away (the caller answers 503 with Retry-After).
 * One per app, created by the batch routes: no module-level state.
 */
export interface ParseSlots {
  /** A release function, or null when no slot came free within waitMs. */
  acquire(waitMs: number): Promise<(() => void) | null>;
}

export function createParseSlots(size: number): ParseSlots {
  let free = size;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) release();
      done = true;
    };
  };
  return {
    async acquire(waitMs) {
      if (free > 0) {
        free--;
        return once();
      }
      return new Promise((resolve) => {
        const grant = () => {
          clearTimeout(timer);
          resolve(once());
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(grant), 1);
          resolve(null);
        }, waitMs);
        waiting.push(grant);
      });
    },
  };
}
