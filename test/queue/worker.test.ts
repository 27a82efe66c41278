import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { ManualClock } from '../../src/clock.ts';
import { addJob } from '../../src/queue/add-job.ts';
import { createLocalNotifier } from '../../src/queue/notifier.ts';
import { createWorker, type JobHandler } from '../../src/queue/worker.ts';
import type { Job } from '../../src/queue/job.ts';

class Permanent extends Error {}

await eachDialect(describe, 'worker', (dialect) => {
  let store: TestStore;
  const clock = new ManualClock();
  const logger = pino({ level: process.env.DBG ? 'debug' : 'silent' });
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  function handlerOf(run: (job: Job) => Promise<void>, events: string[] = []): JobHandler {
    return {
      async run(job, ctx) {
        await run(job);
        await store.db.transaction().execute((trx) => ctx.complete(trx));
        events.push(`done:${(job.payload as { n: number }).n}`);
      },
      async giveUp(_trx, job) {
        events.push(`gaveup:${(job.payload as { n: number }).n}`);
      },
      isPermanent: (e) => e instanceof Permanent,
    };
  }

  test('a job added after start is processed on the wake-up, not the slow poll', async () => {
    const notifier = createLocalNotifier();
    const events: string[] = [];
    let finished!: () => void;
    const allDone = new Promise<void>((r) => (finished = r));
    const handler = handlerOf(async () => {}, events);
    const run = handler.run;
    handler.run = async (job, ctx) => {
      await run(job, ctx);
      if (events.length === 3) finished();
    };
    const worker = createWorker({ store, clock, logger, notifier, queue: 'q', handler, pollIntervalMs: 3_600_000 });
    worker.start();
    for (let n = 0; n < 3; n++) await addJob(store.db, { queue: 'q', payload: { n }, now: clock.now() });
    notifier.jobAdded('q');
    await allDone;
    await worker.stop();
    assert.deepEqual(events.sort(), ['done:0', 'done:1', 'done:2']);
    assert.equal((await store.db.selectFrom('jobs').selectAll().execute()).length, 0);
  });

  test('transient errors are retried with backoff; permanent ones give up at once', async () => {
    const notifier = createLocalNotifier();
    const events: string[] = [];
    const handler = handlerOf(async (job) => {
      const n = (job.payload as { n: number }).n;
      if (n === 1) throw new Error('timeout');
      if (n === 2) throw new Permanent('bad');
    }, events);
    const worker = createWorker({ store, clock, logger, notifier, queue: 'q', handler, pollIntervalMs: 10, backoffBaseMs: 1000 });
    for (let n = 0; n < 3; n++) await addJob(store.db, { queue: 'q', payload: { n }, now: clock.now(), maxAttempts: 2 });
    worker.start();
    // Wait until job 0 is done and job 2 gave up, and job 1 was rescheduled.
    for (let i = 0; i < 500 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await worker.idle();
    assert.deepEqual(events.sort(), ['done:0', 'gaveup:2']);
    const retry = await store.db.selectFrom('jobs').selectAll().where('status', '=', 'queued').executeTakeFirstOrThrow();
    assert.equal(JSON.parse(retry.payload).n, 1);
    assert.ok(Number(retry.run_at) > clock.now(), 'rescheduled in the future');
    clock.advance(10_000);
    for (let i = 0; i < 500 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    assert.deepEqual(events.sort(), ['done:0', 'gaveup:1', 'gaveup:2'], 'second attempt was the last');
    const failed = await store.db.selectFrom('jobs').select('status').execute();
    assert.deepEqual(
      failed.map((r) => r.status),
      ['failed', 'failed'],
    );
  });

  test('stop releases what is still running so another worker takes it at once', async () => {
    const notifier = createLocalNotifier();
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const handler: JobHandler = {
      async run(_job, ctx) {
        started();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        throw new Error('aborted');
      },
      async giveUp() {},
      isPermanent: () => false,
    };
    const worker = createWorker({ store, clock, logger, notifier, queue: 'q', handler, pollIntervalMs: 10 });
    await addJob(store.db, { queue: 'q', payload: {}, now: clock.now() });
    worker.start();
    await isRunning;
    await worker.stop(50);
    const row = await store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.status, 'queued');
    assert.equal(row.locked_by, null);
  });
});

describe('worker on PostgreSQL: connection loss', async () => {
  const { postgresUnavailable } = await import('../helpers/stores.ts');
  const skip = await postgresUnavailable();
  test('the worker survives its connections being killed and finishes every job', { skip: skip ?? false, timeout: 60_000 }, async () => {
    const pgModule = await import('pg');
    const store = await openTestStore('postgres');
    const admin = new pgModule.default.Client({ connectionString: (await import('../helpers/stores.ts')).TEST_DATABASE_URL });
    await admin.connect();
    const clock = new ManualClock();
    const notifier = createLocalNotifier();
    const done = new Set<number>();
    const handler: JobHandler = {
      async run(job, ctx) {
        await store.db.transaction().execute((trx) => ctx.complete(trx));
        done.add((job.payload as { n: number }).n);
      },
      async giveUp() {},
      isPermanent: () => false,
    };
    const worker = createWorker({ store, clock, logger: pino({ level: 'silent' }), notifier, queue: 'q', handler, pollIntervalMs: 20, backoffBaseMs: 1 });
    try {
      for (let n = 0; n < 20; n++) await addJob(store.db, { queue: 'q', payload: { n }, now: clock.now() });
      worker.start();
      const schema = store.description.split(' schema ')[1];
      // Only this store's connections: other suites may share the database.
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`cercapec_${schema}`]);
      for (let n = 20; n < 40; n++) {
        // The first inserts after the kill may hit a dead connection: retry like a client would.
        for (let i = 0; ; i++) {
          try {
            await addJob(store.db, { queue: 'q', payload: { n }, now: clock.now() });
            break;
          } catch (error) {
            if (i > 5) throw error;
          }
        }
      }
      notifier.jobAdded('q');
      // A job whose attempt died with its connection is retried after a backoff: move the clock.
      for (let i = 0; i < 500 && done.size < 40; i++) {
        clock.advance(1000);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(done.size, 40);
      assert.ok(schema);
    } finally {
      await worker.stop();
      await admin.end();
      await store.destroy();
    }
  });
});
