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
import { extendLeases, releaseJobs, returnJobs } from './leases.ts';
import { backoffMs } from './backoff.ts';
import { createCompletionBatcher } from './completion-batcher.ts';

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
  /**
   * Puts the job back in the queue for `retryAt`, inside the caller's transaction, as a failed
   * attempt with `error` (a handler that keeps its own retry schedule); throws LeaseLostError
   * when fenced out.
   */
  retryAt(trx: Transaction<Database>, retryAt: number, error: string): Promise<void>;
}

export interface JobHandler {
  /**
   * Runs the job. A handler whose result must be written exactly once completes the job with
   * ctx.complete in the transaction that writes it. A handler that returns without calling
   * ctx.complete or ctx.retryAt has its job completed by the worker, with others, in one
   * statement after it returns (see completion-batcher.ts): such a job runs at least once, and
   * again if the worker dies before that statement, so its effects must be idempotent.
   */
  run(job: Job, ctx: JobContext): Promise<void>;
  /** Runs in the transaction that marks the job failed for good (e.g. to fail and refund a request). */
  giveUp(trx: Transaction<Database>, job: Job, error: unknown): Promise<void>;
  /** Runs after that transaction committed (wake-ups belong here, not inside it). */
  afterGiveUp?(job: Job): void | Promise<void>;
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
  /** Jobs run at once. */
  concurrency?: number;
  /**
   * At most this many jobs are claimed per round trip (default 500) and held in the worker until
   * a runner is free; see claimAheadMs for how many are. Held jobs are handed back when they wait
   * longer than a third of the lease, so a worker never keeps others from them for long.
   */
  batchSize?: number;
  /**
   * A claim takes about this much work at the rate this worker has been finishing jobs (default
   * 100 ms), and never less than its free runners: fast jobs come in batches of hundreds, slow
   * ones (a registry call) one per free runner, so they are not held back from idle workers.
   * Infinity: always batchSize.
   */
  claimAheadMs?: number;
  /** How long finished jobs wait to be completed together; 0: on the next turn of the event loop. */
  completeBatchDelayMs?: number;
  leaseMs?: number;
  /** Fallback poll when no wake-up arrives (another process added work, or a retry came due). */
  pollIntervalMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface Worker {
  readonly id: string;
  start(): void;
  /** Stops claiming, hands back what it holds without having started it, waits up to graceMs for running jobs, then releases what is left. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when no job is held, running or waiting for its completion to be written (tests). */
  idle(): Promise<void>;
}

interface Held {
  job: Job;
  claimedAt: number;
}

export function createWorker(o: WorkerOptions): Worker {
  const id = `w_${randomBytes(6).toString('hex')}`;
  const concurrency = o.concurrency ?? 4;
  // 500 like graphile-worker's recommended local queue. No-op jobs, 20,000 queued, one worker
  // of 4 runners, 3 runs each on a loaded 2-core machine: claims of 32 ran 1,900-2,200 jobs/s on
  // PostgreSQL and 3,000-4,800 on SQLite, of 128 4,000-6,300 and 6,500-9,600, of 500 6,400-8,200
  // and 6,300-8,600.
  const batchSize = Math.max(concurrency, o.batchSize ?? 500);
  const claimAheadMs = o.claimAheadMs ?? 100;
  const leaseMs = o.leaseMs ?? 30_000;
  // A held job starts with at least two thirds of its lease left, and the heartbeat (every
  // third) extends it from then on; one held longer goes back to the queue.
  const maxHoldMs = Math.floor(leaseMs / 3);
  const pollIntervalMs = o.pollIntervalMs ?? 1000;
  const log = o.logger.child({ worker: id, queue: o.queue });
  const held: Held[] = [];
  const active = new Map<string, { job: Job; abort: AbortController; done: Promise<void> }>();
  const completions = createCompletionBatcher({ store: o.store, workerId: id, delayMs: o.completeBatchDelayMs ?? 0, logger: log, onFlushed: () => settled() });
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: (() => void) | null = null;
  let woken = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe = () => {};
  let idleWaiters: (() => void)[] = [];
  const returning = new Set<Promise<unknown>>();
  // Jobs finished per ms, smoothed; wall time, not the injected clock: it only sizes claims.
  let rate = 0;
  let rateSince = performance.now();
  let finishedSince = 0;
  const nudge = () => {
    woken = true;
    wake?.();
  };

  function isIdle() {
    return held.length === 0 && active.size === 0 && completions.isEmpty() && returning.size === 0;
  }

  function settled() {
    if (idleWaiters.length === 0 || !isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async function runJob(job: Job, abort: AbortController): Promise<void> {
    let settledByHandler = false;
    const ctx: JobContext = {
      workerId: id,
      signal: abort.signal,
      async complete(trx) {
        if (!(await completeJob(trx, job.id, id))) throw new LeaseLostError(job.id);
        settledByHandler = true;
      },
      async retryAt(trx, retryAt, error) {
        if (!(await failJob(trx, { jobId: job.id, workerId: id, error, now: o.clock.now(), retryAt }))) throw new LeaseLostError(job.id);
        settledByHandler = true;
      },
    };
    try {
      if (job.attempts > job.maxAttempts) throw new Error(`job exceeded ${job.maxAttempts} attempts`);
      await o.handler.run(job, ctx);
      if (!settledByHandler) completions.add(job.id);
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
        if (gaveUp) await o.handler.afterGiveUp?.(job);
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
      finishedSince++;
      nudge();
      settled();
    });
    active.set(job.id, { job, abort, done });
  }

  /** Hands held jobs back to the queue at once; if that fails their lease runs out instead. */
  function giveBack(jobs: Held[]) {
    // By claim: the jobs of one claim share their lease, which fences the hand-back (leases.ts).
    const byLease = new Map<number, string[]>();
    for (const h of jobs) byLease.set(h.job.lockedUntil, [...(byLease.get(h.job.lockedUntil) ?? []), h.job.id]);
    for (const [lockedUntil, ids] of byLease) {
      const p = returnJobs(o.store.db, id, ids, o.clock.now(), lockedUntil)
        .then((back) => log.debug({ returned: back.length }, 'held jobs handed back'))
        .catch((err) => log.error({ err }, 'could not hand held jobs back; their lease will expire'))
        .finally(() => {
          returning.delete(p);
          settled();
        });
      returning.add(p);
    }
  }

  /** Starts held jobs while runners are free; those held too long go back instead (not the ones just claimed). */
  function fill(fresh = false) {
    const now = o.clock.now();
    const stale: Held[] = [];
    while (active.size < concurrency && held.length > 0) {
      const next = held.shift()!;
      if (!fresh && now - next.claimedAt > maxHoldMs) stale.push(next);
      else launch(next.job);
    }
    giveBack(stale);
  }

  /** How many to claim now: claimAheadMs of work at the recent rate, between the free runners and batchSize. */
  function claimSize(): number {
    const t = performance.now();
    if (t - rateSince >= 5) {
      const recent = finishedSince / (t - rateSince);
      rate = rate === 0 ? recent : (rate + recent) / 2;
      rateSince = t;
      finishedSince = 0;
    }
    const ahead = claimAheadMs === Infinity ? batchSize : rate > 0 ? Math.ceil(rate * claimAheadMs) : 0;
    return Math.min(batchSize, Math.max(concurrency - active.size, ahead));
  }

  async function loop(): Promise<void> {
    let errorDelay = 100;
    while (running) {
      fill();
      let full = false;
      if (active.size < concurrency && held.length === 0) {
        try {
          const now = o.clock.now();
          woken = false;
          const limit = claimSize();
          const jobs = await claimJobs(o.store, { queue: o.queue, workerId: id, limit, leaseMs, now });
          for (const job of jobs) held.push({ job, claimedAt: now });
          full = jobs.length === limit;
          errorDelay = 100;
          // Started even when stop() came meanwhile, as before batches; stop hands back the rest.
          fill(true);
          settled();
          if (!running) break;
        } catch (error) {
          // Never throw out of the loop and never hot-loop: back off and try again.
          log.error({ err: error }, 'claiming jobs failed');
          await pause(errorDelay);
          errorDelay = Math.min(errorDelay * 2, 10_000);
          continue;
        }
      }
      // More may be ready: claim again as soon as a runner is free.
      if (full && active.size < concurrency) continue;
      // stop() may have come while claiming, when there was no wait to cut short.
      if (!running) break;
      if (woken && active.size < concurrency) continue;
      await pause(pollIntervalMs);
    }
  }

  /** Waits ms, or less when nudged (a job added, a runner free, stop). */
  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  function beat() {
    const now = o.clock.now();
    const stale: Held[] = [];
    while (held.length > 0 && now - held[0].claimedAt > maxHoldMs) stale.push(held.shift()!);
    giveBack(stale);
    // Finished jobs keep their lease until their completion is written.
    const ids = [...active.keys(), ...completions.pending()];
    extendLeases(o.store, id, ids, now + leaseMs, now).catch((err) => log.error({ err }, 'heartbeat failed'));
  }

  return {
    id,
    start() {
      if (running) return;
      running = true;
      unsubscribe = o.notifier.onJobAdded(o.queue, nudge);
      heartbeat = setInterval(beat, Math.max(50, maxHoldMs));
      heartbeat.unref();
      loopDone = loop();
    },
    async stop(graceMs = 10_000) {
      if (!running) return;
      running = false;
      unsubscribe();
      wake?.();
      await loopDone;
      // Jobs claimed but not started go back now, for another worker to take during the grace.
      giveBack(held.splice(0));
      const pending = [...active.values()];
      let graceTimer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => (graceTimer = setTimeout(() => resolve('timeout'), graceMs)));
      const result = await Promise.race([Promise.all(pending.map((p) => p.done)).then(() => 'done'), timeout]);
      clearTimeout(graceTimer);
      if (result === 'timeout') {
        for (const p of pending) p.abort.abort();
        await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise((r) => setTimeout(r, 1000))]);
      }
      // Finished jobs are completed before the release, which would otherwise hand them back to run again.
      await completions.close();
      await Promise.all(returning);
      clearInterval(heartbeat);
      const released = await releaseJobs(o.store, id, o.clock.now()).catch(() => 0);
      if (released) log.info({ released }, 'released unfinished jobs');
    },
    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
