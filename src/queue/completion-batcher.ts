import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import { completeJobs } from './complete-job.ts';

export interface CompletionBatcher {
  /** A job whose handler finished without completing it: completed with others at the next flush. */
  add(jobId: string): void;
  /** Ids added and not yet written (waiting or in the statement running now): their lease must be kept. */
  pending(): string[];
  isEmpty(): boolean;
  /** Writes what is waiting and resolves when nothing is left; add() must not be called after. */
  close(): Promise<void>;
}

export interface CompletionBatcherOptions {
  store: Store;
  workerId: string;
  /** How long finished jobs wait for others; 0: the next turn of the event loop (setImmediate). */
  delayMs: number;
  logger: Logger;
  onFlushed?: () => void;
}

/**
 * Completes finished jobs in batches, as graphile-worker's completeJobBatchDelay: one fenced
 * DELETE per flush instead of one transaction per job. One flush runs at a time; what finishes
 * meanwhile waits for the next. A flush that fails is not retried: its jobs keep status running
 * under a lease nobody extends any more, so they are claimed and run again once it expires.
 * Nothing is lost, and a job completed this way runs at least once (JobHandler.run says which
 * handlers may use it).
 */
export function createCompletionBatcher(o: CompletionBatcherOptions): CompletionBatcher {
  let waiting: string[] = [];
  let inFlight: string[] = [];
  let flushing: Promise<void> | null = null;
  let scheduled: NodeJS.Timeout | NodeJS.Immediate | null = null;

  function schedule() {
    if (scheduled || flushing) return;
    scheduled = o.delayMs > 0 ? setTimeout(flush, o.delayMs) : setImmediate(flush);
  }

  function cancel() {
    if (!scheduled) return;
    if (o.delayMs > 0) clearTimeout(scheduled as NodeJS.Timeout);
    else clearImmediate(scheduled as NodeJS.Immediate);
    scheduled = null;
  }

  function flush(): Promise<void> {
    scheduled = null;
    if (flushing) return flushing;
    if (waiting.length === 0) return Promise.resolve();
    inFlight = waiting;
    waiting = [];
    flushing = (async () => {
      try {
        const removed = await completeJobs(o.store.db, inFlight, o.workerId);
        if (removed < inFlight.length)
          o.logger.warn({ finished: inFlight.length, completed: removed }, 'leases lost before completion; those jobs run again elsewhere');
      } catch (err) {
        o.logger.error({ err, jobs: inFlight.length }, 'could not complete finished jobs; they will run again when their lease expires');
      } finally {
        inFlight = [];
        flushing = null;
        if (waiting.length > 0) schedule();
        o.onFlushed?.();
      }
    })();
    return flushing;
  }

  return {
    add(jobId) {
      waiting.push(jobId);
      schedule();
    },
    pending: () => [...inFlight, ...waiting],
    isEmpty: () => waiting.length === 0 && inFlight.length === 0,
    async close() {
      cancel();
      while (flushing || waiting.length > 0) {
        await flush();
        cancel();
      }
    },
  };
}
