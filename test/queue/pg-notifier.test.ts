import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { postgresUnavailable, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { createPgNotifier } from '../../src/queue/pg-notifier.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# pg-notifier: ${skip}`);
const logger = pino({ level: 'silent' });
const schema = () => `n_${randomBytes(4).toString('hex')}`;

describe('LISTEN/NOTIFY notifier', { skip: skip ?? false }, () => {
  test('a job added in one process wakes a worker in another; an answer wakes a long poll', async () => {
    const s = schema();
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger });
    try {
      const woke = new Promise<void>((resolve) => b.onJobAdded('lookup', resolve));
      a.jobAdded('lookup');
      await woke;
      const waiting = b.waitForAnswer('req-1', 10_000);
      a.answered('req-1');
      assert.equal(await waiting, true);
      assert.equal(await b.waitForAnswer('req-2', 50), false, 'times out without an answer');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('installations in other schemas do not wake each other', async () => {
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: schema(), logger });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: schema(), logger });
    try {
      const waiting = b.waitForAnswer('same-id', 300);
      a.answered('same-id');
      assert.equal(await waiting, false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('the listening connection is re-established after it is killed', async () => {
    const s = schema();
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger });
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const reconnected = new Promise<void>((resolve) => b.onJobAdded('never-used', resolve));
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'cercapec-listen' and query like '%${s}%'`);
      await reconnected; // onJobAdded listeners are woken once after a reconnect
      // Bounded retry: the first notifications may race the new LISTEN.
      let delivered = false;
      for (let i = 0; i < 50 && !delivered; i++) {
        const waiting = b.waitForAnswer(`after-${i}`, 200);
        a.answered(`after-${i}`);
        delivered = await waiting;
      }
      assert.ok(delivered, 'notifications flow again');
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });
});
