/**
 * insertRows on both dialects: placeholders in the dialect's own style, statements split under
 * the bound-parameter limit, values bound as given (quotes, NULLs, large integers), and an
 * error inside a transaction rolling back every statement of it.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { insertRows } from '../../src/store/insert-rows.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { uploadingBatchRow } from '../../src/batches/create-batch.ts';

await eachDialect(describe, 'insertRows', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    const { account } = await createAccount(store, 1, { name: 'rows', billingMode: 'postpaid', priceCents: 0 });
    await store.db
      .insertInto('batches')
      .values(uploadingBatchRow({ id: 'bat_1', accountId: account.id, format: 'csv', callbackUrl: null, now: 1 }))
      .execute();
  });
  afterEach(() => store.destroy());

  const row = (i: number) => ({
    batch_id: 'bat_1',
    row_index: i,
    input: JSON.stringify([`'x"${i}`]),
    code: i % 3 === 0 ? null : `C${i}`,
    error: i % 3 === 0 ? 'no' : null,
    request_id: null,
  });

  test('12,000 rows of 6 columns (more than one statement holds) arrive whole and in order', async () => {
    const rows = Array.from({ length: 12_000 }, (_, i) => row(i));
    await insertRows(store.db, 'batch_rows', rows);
    const stored = await store.db.selectFrom('batch_rows').selectAll().orderBy('row_index').execute();
    assert.equal(stored.length, 12_000);
    assert.deepEqual(
      stored.map((r) => ({ ...r, row_index: Number(r.row_index) })),
      rows,
    );
  });

  test('split: at most rowsPerStatement rows a statement, the pause awaited between statements only', async () => {
    const rows = Array.from({ length: 1_050 }, (_, i) => row(i));
    const seen: number[] = [];
    await store.db.transaction().execute((trx) =>
      insertRows(trx, 'batch_rows', rows, {
        rowsPerStatement: 100,
        pause: async () => {
          seen.push((await trx.selectFrom('batch_rows').select('row_index').execute()).length);
        },
      }),
    );
    // Ten pauses, each after another full statement of 100 rows; none after the last (50 rows).
    assert.deepEqual(
      seen,
      Array.from({ length: 10 }, (_, i) => (i + 1) * 100),
    );
    const stored = await store.db.selectFrom('batch_rows').selectAll().orderBy('row_index').execute();
    assert.deepEqual(
      stored.map((r) => ({ ...r, row_index: Number(r.row_index) })),
      rows,
    );
  });

  test('nothing to insert is no statement at all', async () => {
    await insertRows(store.db, 'batch_rows', []);
    assert.equal((await store.db.selectFrom('batch_rows').select('row_index').execute()).length, 0);
  });

  test('a failing statement rolls back the whole transaction, earlier statements included', async () => {
    const rows = Array.from({ length: 6_000 }, (_, i) => row(i));
    rows.push(row(10)); // the primary key (batch_id, row_index) again: the second statement fails
    await assert.rejects(store.db.transaction().execute((trx) => insertRows(trx, 'batch_rows', rows)));
    assert.equal((await store.db.selectFrom('batch_rows').select('row_index').execute()).length, 0);
  });
});
