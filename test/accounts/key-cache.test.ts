import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { createKeyCache } from '../../src/accounts/key-cache.ts';
import type { Account } from '../../src/accounts/api-keys.ts';

test("a key's account is remembered for ttlMs; unknown keys are never remembered", async () => {
  const clock = new ManualClock();
  const known = new Map<string, Account>([['good', { id: 'acc_1' } as Account]]);
  const calls: string[] = [];
  const { authenticate: auth } = createKeyCache(
    async (key) => {
      calls.push(key);
      return known.get(key) ?? null;
    },
    { ttlMs: 1000, clock, max: 2, epoch: () => 0 },
  );
  assert.equal((await auth('good'))?.id, 'acc_1');
  assert.equal((await auth('good'))?.id, 'acc_1');
  assert.deepEqual(calls, ['good'], 'the second came from memory');
  assert.equal(await auth('new'), null);
  known.set('new', { id: 'acc_2' } as Account);
  assert.equal((await auth('new'))?.id, 'acc_2', 'a refusal is not remembered: a key made a moment ago works');
  known.delete('good');
  clock.advance(1000);
  assert.equal(await auth('good'), null, 'after ttlMs a revoked key is refused');
  assert.equal(await createKeyCache(async () => null, { ttlMs: 0, clock, epoch: () => 0 }).authenticate('x'), null);
});

test('an entry taken under another auth epoch is never served', async () => {
  const clock = new ManualClock();
  let epoch = 7;
  let calls = 0;
  const { authenticate: auth } = createKeyCache(async () => (calls++, { id: 'acc_1' } as Account), { ttlMs: 60_000, clock, epoch: () => epoch });
  await auth('k');
  await auth('k');
  assert.equal(calls, 1);
  epoch++;
  await auth('k');
  assert.equal(calls, 2, 'a moved epoch sends the next request to the store');
});

test('peek: the entry and the epoch it was taken under, within ttlMs, without reading the epoch', async () => {
  const clock = new ManualClock();
  let epoch = 3;
  let epochReads = 0;
  const keys = createKeyCache(async (key) => (key === 'good' ? ({ id: 'acc_1' } as Account) : null), {
    ttlMs: 1000,
    clock,
    epoch: () => (epochReads++, epoch),
  });
  assert.equal(keys.peek('good'), null, 'nothing before the first authentication');
  await keys.authenticate('good');
  await keys.authenticate('bad');
  const reads = epochReads;
  assert.deepEqual((({ account, epoch }) => ({ id: account.id, epoch }))(keys.peek('good')!), { id: 'acc_1', epoch: 3 });
  assert.equal(keys.peek('bad'), null, 'refusals are not remembered');
  assert.equal(epochReads, reads, 'peek reads no epoch: the caller compares');
  epoch++;
  assert.equal(keys.peek('good')?.epoch, 3, 'a moved epoch is for the caller to see');
  await keys.authenticate('good');
  assert.equal(keys.peek('good')?.epoch, 4, 'authenticate under the new epoch replaces the entry');
  clock.advance(1000);
  assert.equal(keys.peek('good'), null, 'past ttlMs');
  assert.equal(createKeyCache(async () => ({ id: 'a' }) as Account, { ttlMs: 0, clock, epoch: () => 0 }).peek('good'), null, 'the cache off');
});
