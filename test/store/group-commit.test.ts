import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGroupCommit, createLanedGroupCommit } from '../../src/store/group-commit.ts';

describe('group commit', () => {
  test('calls that arrive together go in one group, in order, each with its own answer', async () => {
    const groups: number[][] = [];
    const gc = createGroupCommit<number, string>({ maxGroup: 100, concurrency: 1, run: async (items) => (groups.push(items), items.map((i) => `r${i}`)) });
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => gc.submit(i)));
    assert.deepEqual(answers, ['r1', 'r2', 'r3', 'r4', 'r5']);
    assert.deepEqual(groups, [[1, 2, 3, 4, 5]]);
  });

  test('calls arriving while a group is written wait for the next group; maxGroup splits', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = createGroupCommit<number, number>({
      maxGroup: 2,
      concurrency: 1,
      run: async (items) => {
        groups.push(items);
        if (groups.length === 1) await gate;
        return items;
      },
    });
    const first = gc.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((i) => gc.submit(i));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(groups, [[1]], 'nothing else starts while the first group is written');
    release();
    assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3, 4]);
    assert.deepEqual(groups, [[1], [2, 3], [4]]);
    await gc.drain();
  });

  test('a group that throws rejects its own calls only', async () => {
    const gc = createGroupCommit<number, number>({
      maxGroup: 1,
      concurrency: 1,
      run: async ([i]) => {
        if (i === 2) throw new Error('boom');
        return [i];
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => gc.submit(i)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });
});

describe('laned group commit', () => {
  test('one key stays in one lane, so its calls form one group; other keys write beside it', async () => {
    const groups: string[][] = [];
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    let running = 0;
    let most = 0;
    const gc = createLanedGroupCommit<string, string>({
      maxGroup: 100,
      lanes: 4,
      keyOf: (item) => item.split(':')[0],
      run: async (items) => {
        groups.push(items);
        most = Math.max(most, ++running);
        await gate;
        running--;
        return items;
      },
    });
    const first = gc.submit('a:1');
    await new Promise((r) => setImmediate(r));
    // While a:1's group is written, more of a's calls wait for the next group of a's lane.
    const more = ['a:2', 'a:3', 'a:4'].map((i) => gc.submit(i));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(groups, [['a:1']]);
    release();
    assert.deepEqual(await Promise.all([first, ...more]), ['a:1', 'a:2', 'a:3', 'a:4']);
    assert.deepEqual(groups, [['a:1'], ['a:2', 'a:3', 'a:4']]);
    // Keys in different lanes are written at once.
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
    gate = new Promise<void>((r) => (release = r));
    most = 0;
    const spread = Promise.all(keys.map((k) => gc.submit(`${k}:x`)));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.ok(most > 1, 'groups of different lanes are written at once');
    release();
    await spread;
    await gc.drain();
  });

  test('perLane 2: while a group of a key is written, the next group of that key starts; a third waits', async () => {
    const groups: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = createLanedGroupCommit<string, string>({
      maxGroup: 100,
      lanes: 4,
      perLane: 2,
      keyOf: (item) => item.split(':')[0],
      run: async (items) => {
        groups.push(items);
        await gate;
        return items;
      },
    });
    const first = gc.submit('a:1');
    await new Promise((r) => setImmediate(r));
    const second = gc.submit('a:2');
    await new Promise((r) => setImmediate(r));
    const third = ['a:3', 'a:4'].map((i) => gc.submit(i));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(groups, [['a:1'], ['a:2']], 'two groups of one key at once, no more');
    release();
    assert.deepEqual(await Promise.all([first, second, ...third]), ['a:1', 'a:2', 'a:3', 'a:4']);
    assert.deepEqual(groups, [['a:1'], ['a:2'], ['a:3', 'a:4']]);
    await gc.drain();
  });
});
