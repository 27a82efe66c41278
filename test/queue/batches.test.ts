import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { ManualClock } from '../../src/clock.ts';
import { addJob, addJobs } from '../../src/queue/add-job.ts';
import { claimJobs } from '../../src/queue/claim-jobs.ts';
import { completeJobs } from '../../src/queue/complete-job.ts';
import { returnJobs } from '../../src/queue/leases.ts';
import { createLocalNotifier } from '../../src/queue/notifier.ts';
import { createWorker, type JobHandler } from '../../src/queue/worker.ts';

const LEASE = 30_000;
const logger = pino({ level: process.env.DBG ? 'debug' : 'silent' });

await eachDialect(describe, 'queue batches', (dialect) => {
  let store: TestStore;
  let clock: ManualClock;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    clock = new ManualClock();
  });
  afterEach(async () => {
    await store.destroy();
  });

  const rows = () => store.db.selectFrom('jobs').selectAll().orderBy('id').execute();
  const noJobs = async () => assert.deepEqual(await rows(), []);

  test('addJobs adds many jobs in one go, ready to claim in order', async () => {
    const ids = await addJobs(
      store.db,
      Array.from({ length: 250 }, (_, n) => ({ queue: 'q', payload: { n }, now: clock.now() + n, maxAttempts: 3 })),
    );
    assert.equal(new Set(ids).size, 250);
    const jobs = await claimJobs(store, { queue: 'q', workerId: 'w', limit: 1000, leaseMs: LEASE, now: clock.now() + 1000 });
    assert.deepEqual(
      jobs.map((j) => (j.payload as { n: number }).n),
      Array.from({ length: 250 }, (_, n) => n),
    );
    assert.ok(jobs.every((j) => j.maxAttempts === 3 && j.attempts === 1));
  });

  test('a claim takes queued and expired jobs together, oldest first, up to the limit', async () => {
    const old = await addJob(store.db, { queue: 'q', payload: { n: 0 }, now: clock.now() });
    await claimJobs(store, { queue: 'q', workerId: 'dead', limit: 1, leaseMs: LEASE, now: clock.now() });
    for (let n = 1; n <= 5; n++) await addJob(store.db, { queue: 'q', payload: { n }, now: clock.now() + n });
    const jobs = await claimJobs(store, { queue: 'q', workerId: 'w', limit: 4, leaseMs: LEASE, now: clock.now() + LEASE + 1 });
    assert.deepEqual(
      jobs.map((j) => (j.payload as { n: number }).n),
      [0, 1, 2, 3],
    );
    assert.equal(jobs[0].id, old);
    assert.equal(jobs[0].attempts, 2, "the dead worker's attempt counts");
  });

  test('completeJobs deletes exactly the finished jobs this worker holds', async () => {
    const ids = await addJobs(
      store.db,
      Array.from({ length: 6 }, (_, n) => ({ queue: 'q', payload: { n }, now: clock.now() })),
    );
    await claimJobs(store, { queue: 'q', workerId: 'w', limit: 4, leaseMs: LEASE, now: clock.now() });
    // ids[0..3] held by w; ids[3] taken over by x; ids[4..5] still queued.
    await store.db.updateTable('jobs').set({ locked_by: 'x' }).where('id', '=', ids[3]).execute();
    assert.equal(await completeJobs(store.db, ids, 'w'), 3);
    assert.deepEqual(
      (await rows()).map((r) => r.id),
      ids.slice(3),
    );
  });

  test('returnJobs hands back unstarted jobs in their place, without counting the claim', async () => {
    const [a, b] = await addJobs(store.db, [
      { queue: 'q', payload: {}, now: clock.now() },
      { queue: 'q', payload: {}, now: clock.now() + 5 },
    ]);
    await claimJobs(store, { queue: 'q', workerId: 'w', limit: 1, leaseMs: LEASE, now: clock.now() + 10 });
    const back = await returnJobs(store.db, 'w', [a, b], clock.now() + 20);
    assert.deepEqual(
      back.map((j) => j.id),
      [a],
      'b was not held by w',
    );
    const [first] = await claimJobs(store, { queue: 'q', workerId: 'v', limit: 1, leaseMs: LEASE, now: clock.now() + 30 });
    assert.equal(first.id, a, 'still ahead of b');
    assert.equal(first.attempts, 1);
  });

  test('several workers claiming in batches never run a job twice, and complete every one', async () => {
    const count = 600;
    await addJobs(
      store.db,
      Array.from({ length: count }, (_, n) => ({ queue: 'q', payload: { n }, now: clock.now() })),
    );
    const runs = new Map<number, string[]>();
    let finish!: () => void;
    const allRan = new Promise<void>((r) => (finish = r));
    const notifier = createLocalNotifier();
    const workers = Array.from({ length: 4 }, () => {
      const handler: JobHandler = {
        async run(job, ctx) {
          const n = (job.payload as { n: number }).n;
          runs.set(n, [...(runs.get(n) ?? []), ctx.workerId]);
          // Let the others claim while this batch runs.
          await new Promise((r) => setImmediate(r));
          if (runs.size === count) finish();
        },
        async giveUp() {},
        isPermanent: () => false,
      };
      return createWorker({ store, clock, logger, notifier, queue: 'q', handler, concurrency: 3, batchSize: 50, claimAheadMs: Infinity, pollIntervalMs: 10 });
    });
    for (const w of workers) w.start();
    await allRan;
    await Promise.all(workers.map((w) => w.idle()));
    await Promise.all(workers.map((w) => w.stop()));
    assert.equal(runs.size, count);
    assert.deepEqual(
      [...runs.values()].filter((r) => r.length !== 1),
      [],
      'no job ran twice',
    );
    assert.ok(new Set([...runs.values()].flat()).size > 1, 'the work was shared');
    await noJobs();
  });

  test('a job that calls ctx.complete is completed in its transaction, not again in a batch', async () => {
    await addJobs(store.db, [
      { queue: 'q', payload: { n: 0 }, now: clock.now() },
      { queue: 'q', payload: { n: 1 }, now: clock.now() },
    ]);
    const seen: string[] = [];
    const handler: JobHandler = {
      async run(job, ctx) {
        if ((job.payload as { n: number }).n === 0) {
          await store.db.transaction().execute(async (trx) => {
            await ctx.complete(trx);
            seen.push(`completed:${(await trx.selectFrom('jobs').select('id').where('id', '=', job.id).execute()).length}`);
          });
        }
      },
      async giveUp() {},
      isPermanent: () => false,
    };
    const worker = createWorker({ store, clock, logger, notifier: createLocalNotifier(), queue: 'q', handler, pollIntervalMs: 10 });
    worker.start();
    for (let i = 0; i < 500 && (await rows()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await worker.idle();
    await worker.stop();
    assert.deepEqual(seen, ['completed:0'], "gone inside the handler's own transaction");
    await noJobs();
  });

  test('a worker abandoned with jobs claimed but not started, and finished but not flushed: every job is completed once its lease expires', async () => {
    const count = 40;
    await addJobs(
      store.db,
      Array.from({ length: count }, (_, n) => ({ queue: 'q', payload: { n }, now: clock.now() })),
    );
    const ran = new Map<number, number>();
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    let firstFour!: () => void;
    const fourRan = new Promise<void>((r) => (firstFour = r));
    // The first worker runs 4 jobs, whose completion never gets written (its flush waits an
    // hour), and then hangs on the fifth with the rest claimed but not started.
    const dying: JobHandler = {
      async run(job) {
        const n = (job.payload as { n: number }).n;
        ran.set(n, (ran.get(n) ?? 0) + 1);
        if (ran.size === 4) firstFour();
        if (ran.size > 4) await stuck;
      },
      async giveUp() {},
      isPermanent: () => false,
    };
    const abandoned = createWorker({
      store,
      clock,
      logger,
      notifier: createLocalNotifier(),
      queue: 'q',
      handler: dying,
      concurrency: 1,
      batchSize: count,
      claimAheadMs: Infinity,
      completeBatchDelayMs: 3_600_000,
      leaseMs: LEASE,
      pollIntervalMs: 3_600_000,
    });
    abandoned.start();
    await fourRan;
    for (let i = 0; i < 500 && ran.size < 5; i++) await new Promise((r) => setTimeout(r, 5));
    const held = await store.db.selectFrom('jobs').select('id').where('locked_by', '=', abandoned.id).execute();
    assert.equal(held.length, count, 'all claimed in one batch, 4 finished but not flushed');
    // The process "dies": never stopped. Its leases run out.
    clock.advance(LEASE + 1);
    const done = new Set<number>();
    let finish!: () => void;
    const allDone = new Promise<void>((r) => (finish = r));
    const healthy: JobHandler = {
      async run(job) {
        const n = (job.payload as { n: number }).n;
        ran.set(n, (ran.get(n) ?? 0) + 1);
        done.add(n);
        if (done.size === count) finish();
      },
      async giveUp() {},
      isPermanent: () => false,
    };
    const rescuer = createWorker({
      store,
      clock,
      logger,
      notifier: createLocalNotifier(),
      queue: 'q',
      handler: healthy,
      batchSize: 7,
      claimAheadMs: Infinity,
      leaseMs: LEASE,
      pollIntervalMs: 10,
    });
    rescuer.start();
    await allDone;
    await rescuer.idle();
    await rescuer.stop();
    await noJobs();
    assert.equal(done.size, count, 'none lost');
    // Only the 4 unflushed ones (and the one hanging) ran twice: at least once, never lost.
    assert.equal([...ran.values()].filter((times) => times === 2).length, 5);
    // Test hygiene: the "dead" worker's timers must not outlive the test; it holds nothing now.
    release();
    await abandoned.stop(0);
    await noJobs();
  });

  test('jobs held too long without a free runner are handed back for others', async () => {
    await addJobs(
      store.db,
      Array.from({ length: 10 }, (_, n) => ({ queue: 'q', payload: { n }, now: clock.now() })),
    );
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const slow: JobHandler = {
      async run() {
        started();
        await blocked;
      },
      async giveUp() {},
      isPermanent: () => false,
    };
    const leaseMs = 300; // heartbeat and hand-back every 100 ms
    const worker = createWorker({
      store,
      clock,
      logger,
      notifier: createLocalNotifier(),
      queue: 'q',
      handler: slow,
      concurrency: 1,
      batchSize: 10,
      claimAheadMs: Infinity,
      leaseMs,
      pollIntervalMs: 3_600_000,
    });
    worker.start();
    await isRunning;
    assert.equal((await store.db.selectFrom('jobs').select('id').where('locked_by', '=', worker.id).execute()).length, 10);
    clock.advance(leaseMs / 3 + 1);
    let queued = 0;
    for (let i = 0; i < 200 && queued < 9; i++) {
      await new Promise((r) => setTimeout(r, 10));
      queued = (await store.db.selectFrom('jobs').select('id').where('status', '=', 'queued').execute()).length;
    }
    assert.equal(queued, 9, 'the 9 waiting jobs went back; the running one stays');
    release();
    await worker.idle();
    await worker.stop();
  });
});
