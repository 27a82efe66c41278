/**
 * The indexes of batch_rows after 0022 (docs/batches.md, "How a batch is stored"), on both
 * dialects: a row is indexed by its lookup only once linked (a partial index), the index on
 * (batch_id, code) is gone, and what used them still answers: the count of new distinct codes,
 * and the rows that hold a request (settling, rollback).
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { insertRows } from '../../src/store/insert-rows.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { countNewCodes } from '../../src/batches/create-batch-lookups.ts';
import { requestRow } from '../../src/lookups/insert-lookup.ts';
import { uploadingBatchRow } from '../../src/batches/create-batch.ts';

await eachDialect(describe, 'batch_rows indexes', (dialect) => {
  let store: TestStore;
  let accountId: string;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    accountId = (await createAccount(store, 1, { name: 'rows', billingMode: 'postpaid', priceCents: 0 })).account.id;
    await store.db
      .insertInto('batches')
      .values(uploadingBatchRow({ id: 'bat_1', accountId, format: 'csv', callbackUrl: null, now: 1 }))
      .execute();
  });
  afterEach(() => store.destroy());

  async function indexes(): Promise<Map<string, string>> {
    const rows =
      dialect === 'sqlite'
        ? (
            await sql<{
              name: string;
              def: string | null;
            }>`select name, sql as def from sqlite_master where type = 'index' and tbl_name = 'batch_rows'`.execute(store.db)
          ).rows
        : (
            await sql<{
              name: string;
              def: string;
            }>`select indexname as name, indexdef as def from pg_indexes where tablename = 'batch_rows' and schemaname = current_schema()`.execute(store.db)
          ).rows;
    return new Map(rows.map((r) => [r.name, (r.def ?? '').toLowerCase()]));
  }

  test('only the key and the partial index on linked rows', async () => {
    const found = await indexes();
    assert.equal(found.has('batch_rows_code'), false, [...found.keys()].join(', '));
    assert.match(found.get('batch_rows_request') ?? '', /where .*request_id.* is not null/);
    const others = [...found.keys()].filter((n) => n !== 'batch_rows_request');
    // The primary key's own index (sqlite_autoindex_batch_rows_1, or batch_rows_pk): nothing else.
    assert.equal(others.length, 1, others.join(', '));
  });

  test('new distinct codes counted without the code index; linked rows found by their request', async () => {
    const known = requestRow(
      { id: 'req_known', accountId, code: '00743110157', kind: 'cf11', reference: null, callbackUrl: null, priceCents: 0, via: 'json' },
      1,
    );
    await insertRows(store.db, 'requests', [known]);
    const codes = ['00743110157', '01234567897', null, '01234567897', '12345678903', '00743110157'];
    await insertRows(
      store.db,
      'batch_rows',
      codes.map((code, i) => ({ batch_id: 'bat_1', row_index: i, input: '[]', code, error: code ? null : 'no', request_id: null })),
    );
    assert.deepEqual(await countNewCodes(store, accountId, 'bat_1'), { distinct: 3, fresh: 2 });

    await store.db.updateTable('batch_rows').set({ request_id: 'req_known' }).where('code', '=', '00743110157').execute();
    const linked = await store.db
      .selectFrom('batch_rows')
      .select('row_index')
      .where('request_id', 'in', ['req_known', 'req_other'])
      .orderBy('row_index')
      .execute();
    assert.deepEqual(
      linked.map((r) => Number(r.row_index)),
      [0, 5],
    );
  });
});
