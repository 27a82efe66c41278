/**
 * requests(batch_id, status) after 0024 holds batch lookups alone (a partial index): a lookup
 * submitted outside a batch writes no entry in it, and the reads by batch (settling, rollback)
 * still use it, on both dialects.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { insertRows } from '../../src/store/insert-rows.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { requestRow } from '../../src/lookups/insert-lookup.ts';
import { uploadingBatchRow } from '../../src/batches/create-batch.ts';
import { PENDING_STATUSES } from '../../src/lookups/lookup-status.ts';

await eachDialect(describe, 'requests(batch_id, status) index', (dialect) => {
  let store: TestStore;
  let accountId: string;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    accountId = (await createAccount(store, 1, { name: 'batch index', billingMode: 'postpaid', priceCents: 0 })).account.id;
    await store.db
      .insertInto('batches')
      .values(uploadingBatchRow({ id: 'bat_1', accountId, format: 'csv', callbackUrl: null, now: 1 }))
      .execute();
  });
  afterEach(() => store.destroy());

  const lookup = (id: string, code: string) =>
    requestRow({ id, accountId, code, kind: 'cf11', reference: null, callbackUrl: null, priceCents: 0, via: 'json' }, 1);

  test('partial: lookups outside a batch are not in it', async () => {
    const def =
      dialect === 'sqlite'
        ? (await sql<{ def: string }>`select sql as def from sqlite_master where type = 'index' and name = 'requests_batch_status'`.execute(store.db)).rows[0]
            ?.def
        : (
            await sql<{
              def: string;
            }>`select indexdef as def from pg_indexes where indexname = 'requests_batch_status' and schemaname = current_schema()`.execute(store.db)
          ).rows[0]?.def;
    assert.match((def ?? '').toLowerCase(), /where .*batch_id.* is not null/);
  });

  test('a batch read by batch_id uses it and finds its lookups only', async () => {
    await insertRows(store.db, 'requests', [lookup('req_alone', '00743110157'), { ...lookup('req_batch', '01234567897'), batch_id: 'bat_1' }]);
    // The settling read (batches/settle-batches.ts), values written out: EXPLAIN takes no parameters on PostgreSQL.
    const pending = sql.raw(`select id from requests where batch_id = 'bat_1' and status in (${PENDING_STATUSES.map((s) => `'${s}'`).join(', ')})`);
    const plan =
      dialect === 'sqlite'
        ? (await sql<{ detail: string }>`explain query plan ${pending}`.execute(store.db)).rows.map((r) => r.detail).join('\n')
        : await store.db.transaction().execute(async (trx) => {
            // A table of two rows is read whole otherwise: this asks whether the index applies at all.
            await sql`set local enable_seqscan = off`.execute(trx);
            return (await sql<{ 'QUERY PLAN': string }>`explain ${pending}`.execute(trx)).rows.map((r) => r['QUERY PLAN']).join('\n');
          });
    assert.match(plan, /requests_batch_status/, plan);
    const all = await store.db.selectFrom('requests').select('id').where('batch_id', '=', 'bat_1').execute();
    assert.deepEqual(
      all.map((r) => r.id),
      ['req_batch'],
    );
  });
});
