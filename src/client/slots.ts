/**
 * Bounded concurrency with two priorities: at most `size` calls run at once, and a waiting
 * poll goes before a waiting submission, so answers keep arriving while a large file is still
 * being submitted (with one FIFO queue the first poll would wait behind every submission).
 */
export type SlotPriority = 'poll' | 'submit';

export interface Slots {
  run<T>(priority: SlotPriority, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export function createSlots(size: number): Slots {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('concurrency must be a whole number ≥ 1');
  let busy = 0;
  const queues: Record<SlotPriority, Array<() => void>> = { poll: [], submit: [] };

  const release = () => {
    const next = queues.poll.shift() ?? queues.submit.shift();
    if (next) next();
    else busy--;
  };

  const acquire = (priority: SlotPriority, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (busy < size) {
        busy++;
        return resolve();
      }
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const queue = queues[priority];
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queues[priority].push(grant);
    });

  return {
    async run(priority, fn, signal) {
      await acquire(priority, signal);
      try {
        return await fn();
      } finally {
        release();
      }
    },
  };
}
