import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { ManualClock } from '../../src/clock.ts';
import { createMaintenance, lockKey } from '../../src/queue/maintenance.ts';
import { openStore } from '../../src/store/store.ts';

const logger = pino({ level: 'silent' });

await eachDialect(describe, 'maintenance', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  test('runs its tasks and reports what they did', async () => {
    let runs = 0;
    const m = createMaintenance({ store, clock: new ManualClock(), logger, tasks: [{ name: 't', everyMs: 1000, run: async () => ({ n: ++runs }) }] });
    assert.deepEqual(await m.runAll(), { t: { n: 1 } });
  });

  test('lock keys are stable 64-bit values', () => {
    assert.equal(lockKey('purge-expired'), lockKey('purge-expired'));
    assert.notEqual(lockKey('a'), lockKey('b'));
  });

  if (dialect === 'postgres') {
    test('a task runs once per cluster: a second process skips it while the first holds the lock', async () => {
      const schema = store.description.split(' schema ')[1];
      const other = await openStore({ databaseUrl: process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', dataDir: '', schema, migrate: false });
      try {
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const inside = new Promise<void>((r) => (entered = r));
        const slow = createMaintenance({ store, clock: new ManualClock(), logger, tasks: [{ name: 'exclusive', everyMs: 1, run: async () => { entered(); await held; } }] });
        const fast = createMaintenance({ store: other, clock: new ManualClock(), logger, tasks: [{ name: 'exclusive', everyMs: 1, run: async () => ({ ran: 1 }) }] });
        const first = slow.runAll();
        await inside;
        assert.deepEqual(await fast.runAll(), { exclusive: 'skipped' });
        release();
        assert.deepEqual(await first, { exclusive: 'done' });
        assert.deepEqual(await fast.runAll(), { exclusive: { ran: 1 } }, 'free again once the first committed');
      } finally {
        await other.close();
      }
    });
  }
});
