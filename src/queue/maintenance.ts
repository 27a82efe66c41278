import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import type { Clock } from '../clock.ts';

export interface MaintenanceTask {
  name: string;
  everyMs: number;
  /** Runs inside a transaction that holds the task's cluster lock. */
  run(trx: Transaction<Database>, now: number): Promise<Record<string, number> | void>;
}

export interface Maintenance {
  start(): void;
  stop(): Promise<void>;
  /** Runs every task once now (CLI, tests). Returns which ran and what they reported. */
  runAll(): Promise<Record<string, Record<string, number> | 'skipped' | 'done'>>;
}

/** A stable signed 64-bit key per task name, for pg_try_advisory_xact_lock. */
export function lockKey(name: string): bigint {
  return createHash('sha256').update(`cercapec:${name}`).digest().readBigInt64BE(0);
}

/**
 * Periodic tasks that must run once per cluster however many worker processes there are: each
 * run takes the task's lock in its transaction and is skipped where another process holds it.
 * Never throws out of its timer; a failed run is logged and tried again next time.
 */
export function createMaintenance(o: { store: Store; clock: Clock; logger: Logger; tasks: MaintenanceTask[]; tickMs?: number }): Maintenance {
  const last = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function runTask(task: MaintenanceTask) {
    return o.store.db.transaction().execute(async (trx) => {
      if (!(await o.store.dialect.tryClusterLock(trx, lockKey(task.name)))) return 'skipped' as const;
      return (await task.run(trx, o.clock.now())) ?? ('done' as const);
    });
  }

  async function tick() {
    const now = o.clock.now();
    for (const task of o.tasks) {
      if (now - (last.get(task.name) ?? -Infinity) < task.everyMs) continue;
      last.set(task.name, now);
      try {
        const result = await runTask(task);
        if (result !== 'skipped') o.logger.info({ task: task.name, result }, 'maintenance task ran');
      } catch (err) {
        o.logger.error({ task: task.name, err }, 'maintenance task failed');
      }
    }
  }

  return {
    start() {
      timer = setInterval(() => {
        running = running.then(tick);
      }, o.tickMs ?? 60_000);
      timer.unref();
      running = running.then(tick);
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
    async runAll() {
      const out: Record<string, Record<string, number> | 'skipped' | 'done'> = {};
      for (const task of o.tasks) out[task.name] = await runTask(task);
      return out;
    },
  };
}
