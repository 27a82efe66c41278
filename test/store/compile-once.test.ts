import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { compileByShape, compileOnce } from '../../src/store/compile-once.ts';
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

  test('compileByShape: one compiled query per shape, the oldest dropped past the limit', async () => {
    const a = await createAccount(store, 1, { name: 'alfa', billingMode: 'postpaid', priceCents: 10 });
    await createAccount(store, 1, { name: 'beta', billingMode: 'postpaid', priceCents: 20 });
    const builds: string[] = [];
    const byShape = compileByShape<'name' | 'price', { id: string }>(2);
    const find = (shape: 'name' | 'name+price', values: { name: string; price?: number }) =>
      byShape(
        store.db,
        shape,
        (db, param) => {
          builds.push(shape);
          const q = db.selectFrom('accounts').select('id').where('name', '=', param('name'));
          return shape === 'name' ? q : q.where('price_cents', '=', param('price'));
        },
        { name: values.name, price: values.price },
      );
    assert.deepEqual(await find('name', { name: 'alfa' }), [{ id: a.account.id }]);
    assert.deepEqual(await find('name+price', { name: 'alfa', price: 20 }), []);
    assert.deepEqual(await find('name+price', { name: 'alfa', price: 10 }), [{ id: a.account.id }]);
    assert.deepEqual(await find('name', { name: 'gamma' }), []);
    assert.deepEqual(builds, ['name', 'name+price'], 'each shape built once');
    const third = await byShape(store.db, 'third', (db, param) => db.selectFrom('accounts').select('id').where('name', '=', param('name')), {
      name: 'alfa',
      price: 0,
    });
    assert.deepEqual(third, [{ id: a.account.id }]);
    await find('name', { name: 'alfa' });
    assert.deepEqual(builds, ['name', 'name+price', 'name'], 'the oldest shape was dropped for the third');
  });
});
