import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect, openTestStore, TEST_DATABASE_URL, type TestStore } from '../helpers/stores.ts';
import { ManualClock } from '../../src/clock.ts';
import { createMaintenance, lockKey, type MaintenanceTask } from '../../src/queue/maintenance.ts';
import { openStore } from '../../src/store/store.ts';

const silent = pino({ level: 'silent' });
const HOUR = 3_600_000;

/** A counter whose value a test can await. */
function counter() {
  let n = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  return {
    get value() {
      return n;
    },
    inc() {
      n++;
      for (const w of waiters.filter((w) => n >= w.at)) w.resolve();
    },
    reaches(at: number) {
      return n >= at ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ at, resolve }));
    },
  };
}

/** The maintenance timer is unref'd (it never keeps a process alive), so tests awaiting its ticks hold the loop open. */
function holdEventLoop(): () => void {
  const timer = setInterval(() => {}, 1000);
  return () => clearInterval(timer);
}

/** Something to block a task on, and to know it is inside. */
function gate() {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const inside = new Promise<void>((r) => (entered = r));
  return { open, entered, opened, inside };
}

await eachDialect(describe, 'maintenance', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  test('runAll runs every task in a transaction and reports what it did', async () => {
    const task: MaintenanceTask = {
      name: 't',
      everyMs: HOUR,
      async run(trx, now) {
        // The transaction is usable (on SQLite it holds the only connection).
        const row = await trx
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        return { jobs: Number(row.n), now };
      },
    };
    const clock = new ManualClock(1_000_000);
    const m = createMaintenance({ store, clock, logger: silent, tasks: [task, { name: 'quiet', everyMs: HOUR, run: async () => {} }] });
    assert.deepEqual(await m.runAll(), { t: { jobs: 0, now: 1_000_000 }, quiet: 'done' });
  });

  test('lock keys are stable signed 64-bit values, one per name', () => {
    assert.equal(lockKey('purge-expired'), lockKey('purge-expired'));
    assert.notEqual(lockKey('a'), lockKey('b'));
    assert.equal(BigInt.asIntN(64, lockKey('purge-expired')), lockKey('purge-expired'));
  });

  test('start runs due tasks at once and again when due; a failing task is logged and the others go on', async () => {
    const clock = new ManualClock();
    const errors: { task: string }[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });
    const every = counter();
    const hourly = counter();
    const m = createMaintenance({
      store,
      clock,
      logger,
      intervalMs: 5,
      tasks: [
        {
          name: 'broken',
          everyMs: 0,
          run: async () => {
            throw new Error('boom');
          },
        },
        { name: 'hourly', everyMs: HOUR, run: async () => void hourly.inc() },
        { name: 'every-tick', everyMs: 0, run: async () => void every.inc() },
      ],
    });
    const release = holdEventLoop();
    m.start();
    try {
      await every.reaches(3);
      assert.equal(hourly.value, 1, 'not due again while the clock stands still');
      assert.ok(errors.length >= 3 && errors.every((e) => e.task === 'broken'), 'each failure logged with its task');
      clock.advance(HOUR);
      await hourly.reaches(2);
    } finally {
      await m.stop();
      release();
    }
  });

  test('stop waits for a running task and starts nothing after', async () => {
    const g = gate();
    let finished = false;
    let runs = 0;
    const m = createMaintenance({
      store,
      clock: new ManualClock(),
      logger: silent,
      intervalMs: 5,
      tasks: [
        {
          name: 'slow',
          everyMs: 0,
          run: async () => {
            runs++;
            g.entered();
            await g.opened;
            finished = true;
          },
        },
      ],
    });
    const release = holdEventLoop();
    try {
      m.start();
      await g.inside;
      let stopped = false;
      const stopping = m.stop().then(() => (stopped = true));
      await new Promise((r) => setImmediate(r));
      assert.equal(stopped, false, 'still waiting for the task');
      g.open();
      await stopping;
      assert.equal(finished, true);
      assert.equal(runs, 1, 'ticks that came while it ran did not start it again');
    } finally {
      g.open();
      release();
    }
  });

  if (dialect === 'postgres') {
    test('a task runs once per cluster: a second process skips it while the first holds the lock', async () => {
      const schema = store.description.split(' schema ')[1];
      const other = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, migrate: false });
      try {
        const g = gate();
        const clock = new ManualClock();
        const first = createMaintenance({
          store,
          clock,
          logger: silent,
          tasks: [
            {
              name: 'exclusive',
              everyMs: HOUR,
              run: async () => {
                g.entered();
                await g.opened;
              },
            },
          ],
        });
        const second = createMaintenance({
          store: other,
          clock,
          logger: silent,
          tasks: [
            { name: 'exclusive', everyMs: HOUR, run: async () => ({ ran: 1 }) },
            { name: 'another', everyMs: HOUR, run: async () => ({ ran: 1 }) },
          ],
        });
        const running = first.runAll();
        await g.inside;
        assert.deepEqual(await second.runAll(), { exclusive: 'skipped', another: { ran: 1 } }, 'only the same task is excluded');
        g.open();
        assert.deepEqual(await running, { exclusive: 'done' });
        assert.deepEqual(await second.runAll(), { exclusive: { ran: 1 }, another: { ran: 1 } }, 'free again once the first committed');
      } finally {
        await other.close();
      }
    });

    test('the lock goes with the transaction: a task that fails frees it for the other processes', async () => {
      const schema = store.description.split(' schema ')[1];
      const other = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, migrate: false });
      try {
        const failing = createMaintenance({
          store,
          clock: new ManualClock(),
          logger: silent,
          tasks: [
            {
              name: 'fragile',
              everyMs: HOUR,
              run: async () => {
                throw new Error('boom');
              },
            },
          ],
        });
        await assert.rejects(failing.runAll(), /boom/);
        const again = createMaintenance({
          store: other,
          clock: new ManualClock(),
          logger: silent,
          tasks: [{ name: 'fragile', everyMs: HOUR, run: async () => ({ ran: 1 }) }],
        });
        assert.deepEqual(await again.runAll(), { fragile: { ran: 1 } });
      } finally {
        await other.close();
      }
    });
  }
});
