import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { compileOnce } from '../../src/store/compile-once.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';

await eachDialect(describe, 'compileOnce', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.destroy());

  test("one compiled query answers each call with that call's values, on each handle", async () => {
    const a = await createAccount(store, 1, { name: 'alfa', billingMode: 'postpaid', priceCents: 10 });
    const b = await createAccount(store, 1, { name: 'beta', billingMode: 'postpaid', priceCents: 20 });
    let builds = 0;
    const byName = compileOnce<'name' | 'price', { id: string }>((db, param) => {
      builds++;
      return db.selectFrom('accounts').select('id').where('name', '=', param('name')).where('price_cents', '=', param('price'));
    });
    assert.deepEqual(await byName(store.db, { name: 'alfa', price: 10 }), [{ id: a.account.id }]);
    assert.deepEqual(await byName(store.db, { name: 'beta', price: 20 }), [{ id: b.account.id }]);
    assert.deepEqual(await byName(store.db, { name: 'beta', price: 10 }), []);
    assert.equal(builds, 1, 'built once for the handle');
    assert.deepEqual(await byName(store.reader, { name: 'alfa', price: 10 }), [{ id: a.account.id }]);
  });

  test('a value written into the query instead of a placeholder is refused when compiled', async () => {
    const wrong = compileOnce<'name', { id: string }>((db) => db.selectFrom('accounts').select('id').where('name', '=', 'fixed'));
    await assert.rejects(wrong(store.db, { name: 'x' }), /not a placeholder/);
  });
});
