import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import type { Clock } from '../clock.ts';

export type TaskResult = Record<string, number> | undefined;

export interface MaintenanceTask {
  /** Also the cluster lock's identity: two processes running a task of the same name exclude each other. */
  name: string;
  everyMs: number;
  /**
   * Does the work through `trx`, the transaction that holds the task's cluster lock. Never
   * through `store.db`: on SQLite the transaction holds the only connection, and such a query
   * would wait for it forever.
   */
  run(trx: Transaction<Database>, now: number): Promise<TaskResult>;
}

export interface Maintenance {
  /** Runs the due tasks now, then every intervalMs. */
  start(): void;
  /** Stops the timer and waits for a task that is running. */
  stop(): Promise<void>;
  /** Runs every task once now, due or not (CLI, tests); errors are thrown, not logged. */
  runAll(): Promise<Record<string, Record<string, number> | 'skipped' | 'done'>>;
}

export interface MaintenanceOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  tasks: readonly MaintenanceTask[];
  /** How often to look for due tasks (default 60 s); each task runs at most every everyMs. */
  intervalMs?: number;
}

/** A stable signed 64-bit key per task name, for pg_try_advisory_xact_lock. */
export function lockKey(name: string): bigint {
  return createHash('sha256').update(`cercapec:${name}`).digest().readBigInt64BE(0);
}

/**
 * Periodic tasks that must run once per cluster however many worker processes there are: each
 * run happens in a transaction that first takes the task's cluster lock, and is skipped where
 * another process holds it (that process is doing the work). The lock ends with the
 * transaction, so a process that dies mid-run frees it. Never throws out of its timer: a failed
 * run is logged and tried again when next due.
 */
export function createMaintenance(o: MaintenanceOptions): Maintenance {
  const lastRun = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> | null = null;

  function runTask(task: MaintenanceTask) {
    return o.store.db.transaction().execute(async (trx) => {
      if (!(await o.store.dialect.tryClusterLock(trx, lockKey(task.name)))) return 'skipped' as const;
      return (await task.run(trx, o.clock.now())) ?? ('done' as const);
    });
  }

  async function tick(): Promise<void> {
    for (const task of o.tasks) {
      if (stopped) return;
      const now = o.clock.now();
      if (now - (lastRun.get(task.name) ?? -Infinity) < task.everyMs) continue;
      // Recorded before the run: a failing task waits its period too instead of retrying every tick.
      lastRun.set(task.name, now);
      try {
        const result = await runTask(task);
        if (result === 'skipped') o.logger.debug({ task: task.name }, 'maintenance task skipped: another process runs it');
        else o.logger.info({ task: task.name, result }, 'maintenance task ran');
      } catch (err) {
        o.logger.error({ task: task.name, err }, 'maintenance task failed');
      }
    }
  }

  function startTick() {
    // A task longer than the interval is not started twice: the next tick just waits its turn.
    if (current || stopped) return;
    current = tick()
      .catch((err) => o.logger.error({ err }, 'maintenance tick failed'))
      .finally(() => (current = null));
  }

  return {
    start() {
      if (timer || stopped) return;
      timer = setInterval(startTick, o.intervalMs ?? 60_000);
      timer.unref();
      startTick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
    async runAll() {
      const out: Record<string, Record<string, number> | 'skipped' | 'done'> = {};
      for (const task of o.tasks) out[task.name] = await runTask(task);
      return out;
    },
  };
}
