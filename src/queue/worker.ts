import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import type { Clock } from '../clock.ts';
import type { Notifier } from './notifier.ts';
import type { Job } from './job.ts';
import { claimJobs } from './claim-jobs.ts';
import { completeJob } from './complete-job.ts';
import { failJob } from './fail-job.ts';
import { extendLeases, releaseJobs } from './leases.ts';
import { backoffMs } from './backoff.ts';

/** Thrown by ctx.complete when another worker owns the job now: the result must be dropped. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`lease lost on job ${jobId}`);
    this.name = 'LeaseLostError';
  }
}

export interface JobContext {
  workerId: string;
  /** Aborted when the worker stops: long calls should give up and let the job be retried. */
  signal: AbortSignal;
  /** Completes the job inside the caller's transaction; throws LeaseLostError when fenced out. */
  complete(trx: Transaction<Database>): Promise<void>;
}

export interface JobHandler {
  run(job: Job, ctx: JobContext): Promise<void>;
  /** Runs in the transaction that marks the job failed for good (e.g. to fail and refund a request). */
  giveUp(trx: Transaction<Database>, job: Job, error: unknown): Promise<void>;
  /** Runs after that transaction committed (wake-ups belong here, not inside it). */
  afterGiveUp?(job: Job): void;
  /** Errors that retrying cannot fix; everything else is retried with backoff. */
  isPermanent(error: unknown): boolean;
}

export interface WorkerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  queue: string;
  handler: JobHandler;
  concurrency?: number;
  leaseMs?: number;
  /** Fallback poll when no wake-up arrives (another process added work, or a retry came due). */
  pollIntervalMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface Worker {
  readonly id: string;
  start(): void;
  /** Stops claiming, waits up to graceMs for running jobs, then releases what is left. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when no job is running (tests). */
  idle(): Promise<void>;
}

export function createWorker(o: WorkerOptions): Worker {
  const id = `w_${randomBytes(6).toString('hex')}`;
  const concurrency = o.concurrency ?? 4;
  const leaseMs = o.leaseMs ?? 30_000;
  const pollIntervalMs = o.pollIntervalMs ?? 1000;
  const log = o.logger.child({ worker: id, queue: o.queue });
  const active = new Map<string, { job: Job; abort: AbortController; done: Promise<void> }>();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe = () => {};
  const nudge = () => wake?.();

  async function runJob(job: Job, abort: AbortController): Promise<void> {
    const ctx: JobContext = {
      workerId: id,
      signal: abort.signal,
      async complete(trx) {
        if (!(await completeJob(trx, job.id, id))) throw new LeaseLostError(job.id);
      },
    };
    try {
      if (job.attempts > job.maxAttempts) throw new Error(`job exceeded ${job.maxAttempts} attempts`);
      await o.handler.run(job, ctx);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        log.warn({ job: job.id }, 'lease lost; result dropped');
        return;
      }
      await recordFailure(job, error);
    }
  }

  async function recordFailure(job: Job, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const now = o.clock.now();
    const final = o.handler.isPermanent(error) || job.attempts >= job.maxAttempts;
    try {
      if (final) {
        const gaveUp = await o.store.db.transaction().execute(async (trx) => {
          if (!(await failJob(trx, { jobId: job.id, workerId: id, error: message, now, retryAt: null }))) return false;
          await o.handler.giveUp(trx, job, error);
          return true;
        });
        if (gaveUp) o.handler.afterGiveUp?.(job);
        log.warn({ job: job.id, attempts: job.attempts, err: message }, 'job failed for good');
      } else {
        const retryAt = now + backoffMs(job.attempts, o.backoffBaseMs, o.backoffCapMs);
        await failJob(o.store.db, { jobId: job.id, workerId: id, error: message, now, retryAt });
        log.info({ job: job.id, attempts: job.attempts, retryInMs: retryAt - now, err: message }, 'job will be retried');
      }
    } catch (storeError) {
      // The lease will expire and the job will be claimed again: nothing is lost.
      log.error({ job: job.id, err: storeError }, 'could not record a job failure');
    }
  }

  function launch(job: Job) {
    const abort = new AbortController();
    const done = runJob(job, abort).finally(() => {
      active.delete(job.id);
      nudge();
    });
    active.set(job.id, { job, abort, done });
  }

  async function loop(): Promise<void> {
    let errorDelay = 100;
    while (running) {
      const free = concurrency - active.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const jobs = await claimJobs(o.store, { queue: o.queue, workerId: id, limit: free, leaseMs, now: o.clock.now() });
          claimed = jobs.length;
          for (const job of jobs) launch(job);
          errorDelay = 100;
        } catch (error) {
          // Never throw out of the loop and never hot-loop: back off and try again.
          log.error({ err: error }, 'claiming jobs failed');
          await sleep(errorDelay);
          errorDelay = Math.min(errorDelay * 2, 10_000);
          continue;
        }
      }
      if (claimed > 0 && claimed === free) continue;
      // stop() may have come while claiming, when there was no wait to cut short.
      if (!running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollIntervalMs);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      });
    }
  }

  return {
    id,
    start() {
      if (running) return;
      running = true;
      unsubscribe = o.notifier.onJobAdded(o.queue, nudge);
      heartbeat = setInterval(() => {
        const ids = [...active.keys()];
        const now = o.clock.now();
        extendLeases(o.store, id, ids, now + leaseMs, now).catch((err) => log.error({ err }, 'heartbeat failed'));
      }, Math.max(50, Math.floor(leaseMs / 3)));
      heartbeat.unref();
      loopDone = loop();
    },
    async stop(graceMs = 10_000) {
      if (!running) return;
      running = false;
      unsubscribe();
      nudge();
      await loopDone;
      const pending = [...active.values()];
      let graceTimer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => (graceTimer = setTimeout(() => resolve('timeout'), graceMs)));
      const result = await Promise.race([Promise.all(pending.map((p) => p.done)).then(() => 'done'), timeout]);
      clearTimeout(graceTimer);
      if (result === 'timeout') {
        for (const p of pending) p.abort.abort();
        await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise((r) => setTimeout(r, 1000))]);
      }
      clearInterval(heartbeat);
      const released = await releaseJobs(o.store, id, o.clock.now()).catch(() => 0);
      if (released) log.info({ released }, 'released unfinished jobs');
    },
    async idle() {
      while (active.size > 0) await Promise.all([...active.values()].map((p) => p.done));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
