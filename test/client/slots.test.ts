import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSlots } from '../../src/client/slots.ts';
import { backoffDelay, POLL_BACKOFF } from '../../src/client/backoff.ts';
import { retryAfterMs } from '../../src/client/rate-gate.ts';

test('slots: at most N at once, and a waiting poll goes before a waiting submission', async () => {
  const slots = createSlots(1);
  const order: string[] = [];
  let release!: () => void;
  const first = slots.run('submit', () => new Promise<void>((r) => (release = r)));
  await new Promise((r) => setImmediate(r));
  const submit = slots.run('submit', async () => void order.push('submit'));
  const poll = slots.run('poll', async () => void order.push('poll'));
  release();
  await Promise.all([first, submit, poll]);
  assert.deepEqual(order, ['poll', 'submit']);
});

test('slots: an aborted waiter leaves the queue', async () => {
  const slots = createSlots(1);
  let release!: () => void;
  const busy = slots.run('submit', () => new Promise<void>((r) => (release = r)));
  await new Promise((r) => setImmediate(r));
  const controller = new AbortController();
  const waiting = slots.run('poll', async () => 'ran', controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  release();
  await busy;
  assert.equal(await slots.run('submit', async () => 'next'), 'next');
});

test('backoffDelay: doubles from 1 s, capped at 30 s, jittered within [half, full]', () => {
  assert.equal(
    backoffDelay(0, POLL_BACKOFF, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(0, POLL_BACKOFF, () => 0.999999),
    1000,
  );
  assert.equal(
    backoffDelay(3, POLL_BACKOFF, () => 0.999999),
    8000,
  );
  assert.equal(
    backoffDelay(10, POLL_BACKOFF, () => 0.999999),
    30_000,
  );
  assert.equal(
    backoffDelay(1000, POLL_BACKOFF, () => 0),
    15_000,
  );
});

test('retryAfterMs: seconds or an HTTP date', () => {
  assert.equal(retryAfterMs('3', 0), 3000);
  assert.equal(retryAfterMs(null, 0, 1000), 1000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
});
