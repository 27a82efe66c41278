import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { postgresUnavailable, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { channelName, createPgNotifier } from '../../src/queue/pg-notifier.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# pg-notifier: ${skip}`);
const silent = pino({ level: 'silent' });
const schema = () => `n_${randomBytes(4).toString('hex')}`;

/** A logger that keeps its lines, and lets a test await one. */
function captureLogs() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const raw: string[] = [];
  const waiters: { msg: string; resolve: () => void }[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        raw.push(line);
        const entry = JSON.parse(line);
        lines.push(entry);
        for (const w of waiters.filter((w) => w.msg === entry.msg)) w.resolve();
      },
    },
  );
  const waitFor = (msg: string) => (lines.some((l) => l.msg === msg) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ msg, resolve })));
  return { logger, lines, raw, waitFor };
}

/** Backends of one application_name (the LISTEN client of one notifier). */
async function listenPids(admin: pg.Client, name: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [name]);
  return rows.map((r) => r.pid);
}

/** Sends answers from one notifier until the other hears one: the first may race a fresh LISTEN. */
async function answersFlow(from: { answered(id: string): void }, to: { waitForAnswer(id: string, ms: number): Promise<boolean> }): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const id = `probe-${randomBytes(4).toString('hex')}`;
    const heard = to.waitForAnswer(id, 200);
    from.answered(id);
    if (await heard) return true;
  }
  return false;
}

describe('LISTEN/NOTIFY notifier', { skip: skip ?? false, timeout: 60_000 }, () => {
  test('a job added in one process wakes a worker in another; an answer wakes a long poll', async () => {
    const s = schema();
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    try {
      let localWakes = 0;
      a.onJobAdded('lookup', () => localWakes++);
      const woke = new Promise<void>((resolve) => b.onJobAdded('lookup', resolve));
      a.jobAdded('lookup');
      assert.equal(localWakes, 1, 'the adding process wakes at once, without a round trip');
      await woke;
      const waiting = b.waitForAnswer('req-1', 10_000);
      a.answered('req-1');
      assert.equal(await waiting, true);
      assert.equal(await b.waitForAnswer('req-2', 50), false, 'times out without an answer');
      const aborted = new AbortController();
      const cut = b.waitForAnswer('req-3', 10_000, aborted.signal);
      aborted.abort();
      assert.equal(await cut, false, 'an aborted wait resolves false');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('events sent in one turn go out together, and another process hears every one of them', async () => {
    const s = schema();
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    try {
      assert.ok(await answersFlow(a, b), 'b listens');
      const ids = Array.from({ length: 100 }, (_, i) => `turn-${i}`);
      const heard = ids.map((id) => b.waitForAnswer(id, 10_000));
      const woke = new Promise<void>((resolve) => b.onJobAdded('lookup', resolve));
      for (const id of ids) a.answered(id);
      a.jobAdded('lookup');
      a.jobAdded('lookup');
      assert.deepEqual(
        await Promise.all(heard),
        ids.map(() => true),
      );
      await woke;
      const last = b.waitForAnswer('sent-before-close', 10_000);
      a.answered('sent-before-close');
      await a.close();
      assert.equal(await last, true, 'what was sent in the turn a notifier closes still goes out');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('installations in other schemas do not wake each other', async () => {
    const s = schema();
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: schema(), logger: silent });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    const c = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    try {
      const waiting = b.waitForAnswer('same-id', 300);
      a.answered('same-id');
      assert.equal(await waiting, false);
      assert.ok(await answersFlow(c, b), 'while its own schema still reaches it');
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });

  test('channel names stay valid identifiers for long schema names', () => {
    assert.equal(channelName('jobs', 'tenant_a'), 'cercapec_jobs_tenant_a');
    const long = 'x'.repeat(63);
    assert.ok(channelName('answers', long).length <= 63);
    assert.notEqual(channelName('answers', long), channelName('answers', `${'x'.repeat(62)}y`));
  });

  test('after its LISTEN connection is killed it reconnects, wakes its workers and hears again; the URL is never logged', async () => {
    const s = schema();
    const name = `cercapec-test-${randomBytes(4).toString('hex')}`;
    const logs = captureLogs();
    const a = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: silent });
    const b = await createPgNotifier({ url: TEST_DATABASE_URL, schema: s, logger: logs.logger, applicationName: name });
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const [pid] = await listenPids(admin, name);
      assert.ok(pid, 'the LISTEN connection carries its application_name');
      // Workers are woken once after the reconnection, for jobs added while nobody listened.
      const woken = new Promise<void>((resolve) => b.onJobAdded('lookup', resolve));
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await logs.waitFor('LISTEN connection lost; reconnecting');
      await woken;
      assert.ok(await answersFlow(a, b), 'notifications from another process arrive again');
      const [again] = await listenPids(admin, name);
      assert.ok(again && again !== pid, 'on a new connection');
      assert.ok(
        logs.lines.some((l) => l.level === 40 && l.msg === 'LISTEN connection lost; reconnecting'),
        'logged at warn',
      );
      const password = new URL(TEST_DATABASE_URL).password;
      for (const line of logs.raw) {
        assert.ok(!line.includes('postgres://'), `no URL in ${line}`);
        if (password) assert.ok(!line.includes(password), 'no password in the logs');
      }
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });

  test('close() ends the LISTEN connection and stops reconnecting, even mid-backoff', async () => {
    const name = `cercapec-test-${randomBytes(4).toString('hex')}`;
    const logs = captureLogs();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const n = await createPgNotifier({ url: TEST_DATABASE_URL, schema: schema(), logger: logs.logger, applicationName: name });
      const [pid] = await listenPids(admin, name);
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await logs.waitFor('LISTEN connection lost; reconnecting');
      // close() waits for the reconnection loop to end: nothing can connect after it resolves.
      await n.close();
      let left = await listenPids(admin, name);
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        left = await listenPids(admin, name);
      }
      assert.deepEqual(left, []);
      assert.ok(!logs.lines.some((l) => l.msg === 'LISTEN connection re-established'));
      n.jobAdded('lookup'); // after close: nothing is sent, nothing fails
      assert.ok(!logs.lines.some((l) => l.msg.startsWith('NOTIFY failed')));
    } finally {
      await admin.end();
    }
  });

  test('a server that does not answer fails at start, without leaking its connections', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.port = '1'; // nothing listens there
    await assert.rejects(createPgNotifier({ url: url.toString(), logger: silent }));
  });
});
