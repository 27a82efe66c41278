import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Bench, BenchResult, Goal } from './lib/bench.ts';
import { round } from './lib/stats.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { systemClock } from '../src/clock.ts';
import { createLocalNotifier } from '../src/queue/notifier.ts';
import { createWorker, type JobHandler } from '../src/queue/worker.ts';
import { addJobs } from '../src/queue/add-job.ts';

/** The two depths the queue is measured at: the figure is the rate of working through all of them. */
const SHALLOW = Number(process.env.BENCH_QUEUE_JOBS ?? 5000);
const DEEP = Number(process.env.BENCH_QUEUE_DEEP_JOBS ?? 100_000);
const CONCURRENCY = 4;
/** Unset: the worker's default batch size (what `cercapec serve` runs with). */
const BATCH = process.env.BENCH_QUEUE_BATCH ? Number(process.env.BENCH_QUEUE_BATCH) : undefined;
const PG_URL = process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const logger = pino({ level: 'silent' });

type Completion = 'batched' | 'fenced';

/**
 * Works through `jobs` no-op jobs queued beforehand with `workers` workers of CONCURRENCY
 * runners each; jobs/s. 'batched': the handler just returns and the worker completes jobs in
 * batches; 'fenced': each job is completed by ctx.complete in a transaction of its own, the
 * path of handlers that write a result (lookups).
 */
async function measure(store: Store, jobs: number, completion: Completion, workers = 1): Promise<number> {
  const now = Date.now();
  for (let i = 0; i < jobs; i += 5000) {
    await addJobs(
      store.db,
      Array.from({ length: Math.min(5000, jobs - i) }, () => ({ queue: 'bench', payload: {}, now, maxAttempts: 3 })),
    );
  }
  const notifier = createLocalNotifier();
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const handler: JobHandler = {
    async run(_job, ctx) {
      if (completion === 'fenced') await store.db.transaction().execute((trx) => ctx.complete(trx));
      if (++done === jobs) finish();
    },
    async giveUp() {},
    isPermanent: () => false,
  };
  const pool = Array.from({ length: workers }, () =>
    createWorker({ store, clock: systemClock, logger, notifier, queue: 'bench', concurrency: CONCURRENCY, batchSize: BATCH, pollIntervalMs: 50, handler }),
  );
  const t0 = performance.now();
  for (const w of pool) w.start();
  await finished;
  // The last batch of completions is part of the work.
  await Promise.all(pool.map((w) => w.idle()));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(pool.map((w) => w.stop()));
  const left = await store.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(left.n) !== 0) throw new Error(`${left.n} jobs left in the queue after the run`);
  return jobs / seconds;
}

/**
 * graphile-worker 0.17.3 (the newest for Node 20) on the same database, in a schema of its own,
 * with the batching of issue 14's comparison: a local queue of 500 and completions batched on
 * the next tick; the same no-op jobs and CONCURRENCY.
 */
async function measureGraphile(jobs: number): Promise<number> {
  const { run, runMigrations, makeWorkerUtils } = await import('graphile-worker');
  const schema = `bench_gw_${randomBytes(4).toString('hex')}`;
  const gwLogger = new (await import('graphile-worker')).Logger(() => () => {});
  const options = { connectionString: PG_URL, schema, logger: gwLogger };
  await runMigrations(options);
  const utils = await makeWorkerUtils(options);
  try {
    for (let i = 0; i < jobs; i += 5000) {
      await utils.addJobs(Array.from({ length: Math.min(5000, jobs - i) }, () => ({ identifier: 'noop', payload: {} })));
    }
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    const runner = await run({
      ...options,
      concurrency: CONCURRENCY,
      noHandleSignals: true,
      pollInterval: 50,
      taskList: {
        noop: async () => {
          if (++done === jobs) finish();
        },
      },
      preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } },
    });
    await finished;
    await runner.stop();
    return jobs / ((performance.now() - t0) / 1000);
  } finally {
    await utils.withPgClient((client) => client.query(`drop schema if exists "${schema}" cascade`)).catch(() => {});
    await utils.release();
  }
}

async function postgres(): Promise<Store | null> {
  try {
    return await openStore({ databaseUrl: PG_URL, dataDir: '', schema: `bench_${randomBytes(4).toString('hex')}`, poolSize: 10 });
  } catch {
    return null;
  }
}

function ratioGoal(name: string, value: number, target: number): Goal {
  return { name, value: round(value, 2), target, kind: 'min', unit: 'x' };
}

export const queueBench: Bench = {
  name: 'queue',
  description: `no-op jobs/s with ${SHALLOW} and ${DEEP} queued, SQLite and PostgreSQL, ${CONCURRENCY} runners; graphile-worker 0.17.3 with batching on the same PostgreSQL`,
  async run(): Promise<BenchResult> {
    const figures: Record<string, number | string> = {};
    const goals: Goal[] = [];
    const notes: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    const sqlite = await openStore({ dataDir: dir });
    try {
      const shallow = await measure(sqlite, SHALLOW, 'batched');
      const deep = await measure(sqlite, DEEP, 'batched');
      figures[`sqlite ${SHALLOW} jobs/s`] = round(shallow, 0);
      figures[`sqlite ${DEEP} jobs/s`] = round(deep, 0);
      figures[`sqlite ${SHALLOW} fenced jobs/s`] = round(await measure(sqlite, SHALLOW, 'fenced'), 0);
      goals.push(ratioGoal(`sqlite ${DEEP} / ${SHALLOW} queued`, deep / shallow, 0.9));
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const pg = await postgres();
    if (pg) {
      try {
        const shallow = await measure(pg, SHALLOW, 'batched');
        const deep = await measure(pg, DEEP, 'batched');
        figures[`postgres ${SHALLOW} jobs/s`] = round(shallow, 0);
        figures[`postgres ${DEEP} jobs/s`] = round(deep, 0);
        figures[`postgres ${SHALLOW} fenced jobs/s`] = round(await measure(pg, SHALLOW, 'fenced'), 0);
        figures[`postgres ${SHALLOW} 4 workers jobs/s`] = round(await measure(pg, SHALLOW, 'batched', 4), 0);
        goals.push(ratioGoal(`postgres ${DEEP} / ${SHALLOW} queued`, deep / shallow, 0.9));
        const gwShallow = await measureGraphile(SHALLOW);
        const gwDeep = await measureGraphile(DEEP);
        figures[`graphile-worker ${SHALLOW} jobs/s`] = round(gwShallow, 0);
        figures[`graphile-worker ${DEEP} jobs/s`] = round(gwDeep, 0);
        goals.push(ratioGoal(`postgres / graphile-worker ${SHALLOW}`, shallow / gwShallow, 0.5));
        goals.push(ratioGoal(`postgres / graphile-worker ${DEEP}`, deep / gwDeep, 0.5));
      } finally {
        await pg.db.schema
          .dropSchema(pg.description.split(' schema ')[1])
          .ifExists()
          .cascade()
          .execute()
          .catch(() => {});
        await pg.close();
      }
    } else notes.push(`PostgreSQL skipped: no server at ${PG_URL}`);
    return { name: 'queue', figures, goals, notes };
  },
};
