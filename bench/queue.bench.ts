import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Bench, BenchResult } from './lib/bench.ts';
import { round } from './lib/stats.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { systemClock } from '../src/clock.ts';
import { createLocalNotifier } from '../src/queue/notifier.ts';
import { createWorker } from '../src/queue/worker.ts';
import { newId } from '../src/ids.ts';

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 5000);
const PG_URL = process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Claims and completes JOBS no-op jobs with n workers (each running 4 at a time); jobs/s. */
async function measure(store: Store, workers: number): Promise<number> {
  const now = Date.now();
  for (let i = 0; i < JOBS; i += 500) {
    const values = Array.from({ length: Math.min(500, JOBS - i) }, () => ({
      id: newId('job', now), queue: 'bench', payload: '{}', status: 'queued' as const, run_at: now, attempts: 0, max_attempts: 3,
      locked_by: null, locked_until: null, last_error: null, created_at: now, updated_at: now,
    }));
    await store.db.insertInto('jobs').values(values).execute();
  }
  const notifier = createLocalNotifier();
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const logger = pino({ level: 'silent' });
  const pool = Array.from({ length: workers }, () =>
    createWorker({
      store, clock: systemClock, logger, notifier, queue: 'bench', concurrency: 4, pollIntervalMs: 50,
      handler: {
        async run(_job, ctx) {
          await store.db.transaction().execute((trx) => ctx.complete(trx));
          if (++done === JOBS) finish();
        },
        async giveUp() {},
        isPermanent: () => false,
      },
    }),
  );
  const t0 = performance.now();
  for (const w of pool) w.start();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(pool.map((w) => w.stop()));
  return JOBS / seconds;
}

async function postgres(): Promise<Store | null> {
  try {
    return await openStore({ databaseUrl: PG_URL, dataDir: '', schema: `bench_${randomBytes(4).toString('hex')}`, poolSize: 10 });
  } catch {
    return null;
  }
}

export const queueBench: Bench = {
  name: 'queue',
  description: `jobs/s claimed and completed (${JOBS} no-op jobs), SQLite and PostgreSQL, 1 and 4 workers`,
  async run(): Promise<BenchResult> {
    const figures: Record<string, number | string> = {};
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    const sqlite = await openStore({ dataDir: dir });
    try {
      figures['sqlite 1 worker jobs/s'] = round(await measure(sqlite, 1), 0);
      figures['sqlite 4 workers jobs/s'] = round(await measure(sqlite, 4), 0);
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const pg = await postgres();
    const notes: string[] = [];
    if (pg) {
      try {
        figures['postgres 1 worker jobs/s'] = round(await measure(pg, 1), 0);
        figures['postgres 4 workers jobs/s'] = round(await measure(pg, 4), 0);
      } finally {
        await pg.db.schema.dropSchema(pg.description.split(' schema ')[1]).ifExists().cascade().execute().catch(() => {});
        await pg.close();
      }
    } else notes.push(`PostgreSQL skipped: no server at ${PG_URL}`);
    return { name: 'queue', figures, goals: [], notes };
  },
};
