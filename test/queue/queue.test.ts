import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { addJob } from '../../src/queue/add-job.ts';
import { claimJobs } from '../../src/queue/claim-jobs.ts';
import { completeJob } from '../../src/queue/complete-job.ts';
import { failJob } from '../../src/queue/fail-job.ts';
import { extendLeases, releaseJobs } from '../../src/queue/leases.ts';
import { backoffMs } from '../../src/queue/backoff.ts';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;

await eachDialect(describe, 'queue', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  const claim = (workerId: string, now: number, limit = 10) => claimJobs(store, { queue: 'q', workerId, limit, leaseMs: LEASE, now });

  test('claims ready jobs oldest first, up to the limit, counting the attempt', async () => {
    for (let i = 0; i < 5; i++) await addJob(store.db, { queue: 'q', payload: { n: i }, now: T0 + i });
    await addJob(store.db, { queue: 'other', payload: {}, now: T0 });
    const jobs = await claim('w1', T0 + 100, 3);
    assert.deepEqual(
      jobs.map((j) => (j.payload as { n: number }).n),
      [0, 1, 2],
    );
    assert.ok(jobs.every((j) => j.attempts === 1 && j.lockedBy === 'w1' && j.lockedUntil === T0 + 100 + LEASE));
    assert.equal((await claim('w2', T0 + 100)).length, 2, 'the rest, not the other queue');
    assert.equal((await claim('w3', T0 + 100)).length, 0);
  });

  test('a job scheduled later is not claimed before its time', async () => {
    await addJob(store.db, { queue: 'q', payload: {}, now: T0, runAt: T0 + 5000 });
    assert.equal((await claim('w', T0 + 4999)).length, 0);
    assert.equal((await claim('w', T0 + 5000)).length, 1);
  });

  test('concurrent claimers never get the same job', async () => {
    for (let i = 0; i < 200; i++) await addJob(store.db, { queue: 'q', payload: { n: i }, now: T0 });
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (w) => {
        const got: string[] = [];
        for (;;) {
          const jobs = await claim(w, T0 + 1, 7);
          if (jobs.length === 0) return got;
          got.push(...jobs.map((j) => j.id));
        }
      }),
    );
    const all = results.flat();
    assert.equal(all.length, 200);
    assert.equal(new Set(all).size, 200);
  });

  test('an expired lease (crashed worker) is claimable again, and the old holder is fenced out', async () => {
    const id = await addJob(store.db, { queue: 'q', payload: {}, now: T0 });
    const [first] = await claim('dead', T0);
    assert.equal(first.id, id);
    assert.equal((await claim('w2', T0 + LEASE - 1)).length, 0, 'lease still held');
    const [again] = await claim('w2', T0 + LEASE + 1);
    assert.equal(again.id, id);
    assert.equal(again.attempts, 2);
    assert.equal(await completeJob(store.db, id, 'dead'), false, 'the dead worker cannot complete');
    assert.equal(await failJob(store.db, { jobId: id, workerId: 'dead', error: 'x', now: T0, retryAt: T0 }), false);
    assert.equal(await completeJob(store.db, id, 'w2'), true);
    assert.equal((await store.db.selectFrom('jobs').selectAll().execute()).length, 0);
  });

  test('crash recovery by backdating rows: a running job with a lease in the past is reclaimed', async () => {
    const id = await addJob(store.db, { queue: 'q', payload: {}, now: T0 });
    await claim('w1', T0);
    await store.db
      .updateTable('jobs')
      .set({ locked_until: T0 - 1 })
      .where('id', '=', id)
      .execute();
    const jobs = await claim('w2', T0);
    assert.deepEqual(
      jobs.map((j) => j.id),
      [id],
    );
  });

  test('heartbeat extends only the leases still held', async () => {
    const a = await addJob(store.db, { queue: 'q', payload: {}, now: T0 });
    const b = await addJob(store.db, { queue: 'q', payload: {}, now: T0 + 1 });
    await claim('w1', T0 + 2);
    await store.db.updateTable('jobs').set({ locked_by: 'w2' }).where('id', '=', b).execute();
    const held = await extendLeases(store, 'w1', [a, b], T0 + 999_999, T0 + 10);
    assert.deepEqual(held, [a]);
    assert.equal((await claim('w3', T0 + LEASE + 100)).map((j) => j.id).join(), b, 'b expired, a extended');
  });

  test('failure with retry reschedules; final failure keeps the row as failed', async () => {
    const id = await addJob(store.db, { queue: 'q', payload: {}, now: T0 });
    await claim('w', T0);
    assert.equal(await failJob(store.db, { jobId: id, workerId: 'w', error: 'timeout', now: T0, retryAt: T0 + 2000 }), true);
    assert.equal((await claim('w', T0 + 1999)).length, 0);
    const [job] = await claim('w', T0 + 2000);
    assert.equal(job.attempts, 2);
    await failJob(store.db, { jobId: id, workerId: 'w', error: 'bad input', now: T0, retryAt: null });
    const row = await store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'failed');
    assert.equal(row.last_error, 'bad input');
    assert.equal((await claim('w', T0 + 10 ** 9)).length, 0);
  });

  test('graceful release hands jobs back without counting the attempt', async () => {
    await addJob(store.db, { queue: 'q', payload: {}, now: T0 });
    await claim('w1', T0);
    assert.equal(await releaseJobs(store, 'w1', T0 + 5), 1);
    const [job] = await claim('w2', T0 + 5);
    assert.equal(job.attempts, 1);
  });
});

describe('backoff', () => {
  test('grows exponentially with jitter and a cap', () => {
    assert.equal(
      backoffMs(1, 1000, 300_000, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(3, 1000, 300_000, () => 1),
      4000,
    );
    assert.equal(
      backoffMs(3, 1000, 300_000, () => 0),
      2000,
    );
    assert.equal(
      backoffMs(30, 1000, 300_000, () => 1),
      300_000,
    );
  });
});
