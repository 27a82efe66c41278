import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileOnce } from '../../src/store/compile-once.ts';
import { directReadsOf } from '../../src/store/direct-reads.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { openStore } from '../../src/store/store.ts';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';

const accountsAbove = compileOnce<'price', { id: string; name: string; price_cents: number }>((db, param) =>
  db.selectFrom('accounts').select(['id', 'name', 'price_cents']).where('price_cents', '>', param('price')).orderBy('name'),
);

await eachDialect(describe, 'direct reads of compiled queries', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.destroy());

  test('answer the rows Kysely answers; only SQLite handles have them', async () => {
    for (const [name, price] of [
      ['alfa', 10],
      ['beta', 20],
      ['gamma', 30],
    ] as const)
      await createAccount(store, 1, { name, billingMode: 'postpaid', priceCents: price });
    assert.equal(directReadsOf(store.reader) !== undefined, dialect === 'sqlite', 'SQLite runs compiled reads directly; PostgreSQL through Kysely');
    for (const price of [0, 15, 30]) {
      const viaKysely = await store.reader
        .selectFrom('accounts')
        .select(['id', 'name', 'price_cents'])
        .where('price_cents', '>', price)
        .orderBy('name')
        .execute();
      assert.deepEqual(await accountsAbove(store.reader, { price }), viaKysely);
      // At once where the handle reads directly; null (call the read instead) where it does not.
      assert.deepEqual(accountsAbove.now(store.reader, { price }), dialect === 'sqlite' ? viaKysely : null);
    }
  });
});

describe('direct reads (SQLite)', () => {
  test('on the in-memory store, whose one connection also writes, a read waits for an open transaction', async () => {
    const store = await openTestStore('sqlite');
    try {
      assert.equal(store.reader, store.db);
      const { account } = await createAccount(store, 1, { name: 'alfa', billingMode: 'postpaid', priceCents: 10 });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const writing = store.db.transaction().execute(async (trx) => {
        await trx.updateTable('accounts').set({ price_cents: 99 }).where('id', '=', account.id).execute();
        entered();
        await held;
      });
      await inside;
      assert.equal(accountsAbove.now(store.reader, { price: 50 }), null, 'no synchronous answer while the transaction holds the connection');
      let answered = false;
      const reading = accountsAbove(store.reader, { price: 50 }).then((rows) => ((answered = true), rows));
      await new Promise((r) => setImmediate(r));
      assert.equal(answered, false, 'the read queued behind the transaction instead of seeing its uncommitted row');
      release();
      await writing;
      assert.deepEqual(
        (await reading).map((r) => r.price_cents),
        [99],
        'then answers the committed state',
      );
    } finally {
      await store.destroy();
    }
  });

  test("a file store's reading connection reads directly and sees each commit at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-direct-'));
    const store = await openStore({ dataDir: dir });
    try {
      assert.notEqual(store.reader, store.db);
      assert.ok(directReadsOf(store.reader));
      assert.deepEqual(await accountsAbove(store.reader, { price: 0 }), []);
      const { account } = await createAccount(store, 1, { name: 'alfa', billingMode: 'postpaid', priceCents: 10 });
      assert.deepEqual(await accountsAbove(store.reader, { price: 0 }), [{ id: account.id, name: 'alfa', price_cents: 10 }]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
