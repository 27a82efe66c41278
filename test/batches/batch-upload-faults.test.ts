import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pino from 'pino';
import { eachDialect, type DialectName } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { createBatchSweeper } from '../../src/batches/batch-sweeper.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { batchClient, cf11, XLSX, xlsxOf } from './batch-http.ts';

/**
 * Issue 15, item 3: an upload answered with an error is never charged and is gone, now or later
 * (the sweeper rolls back, never resumes); Idempotency-Key makes a retry get the same batch,
 * charged once. Faults are real store errors, raised by triggers: the insert of a batch's
 * 2,001st request (the second chunk of lookups) fails like a full disk, and refunds can be made
 * to fail too.
 */

const CREDIT = 100_000;
const PRICE = 10;
const codes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => cf11(from + i + 1));
const csvOf = (list: string[]) => `partita iva\n${list.join('\n')}\n`;

async function injectFaults(h: Harness, dialect: DialectName): Promise<void> {
  await sql`create table fault_refunds (x integer)`.execute(h.store.db);
  if (dialect === 'sqlite') {
    await sql
      .raw(`create trigger fail_second_chunk before insert on requests
      when new.batch_id is not null and (select count(*) from requests where batch_id = new.batch_id) >= 2000
      begin select raise(abort, 'database or disk is full (simulated)'); end`)
      .execute(h.store.db);
    await sql
      .raw(`create trigger fail_refunds before insert on ledger
      when new.kind = 'refund' and exists (select 1 from fault_refunds)
      begin select raise(abort, 'database or disk is full (simulated)'); end`)
      .execute(h.store.db);
    return;
  }
  await sql
    .raw(`create function fail_second_chunk() returns trigger language plpgsql as $$ begin
      if new.batch_id is not null and (select count(*) from requests where batch_id = new.batch_id) >= 2000 then raise exception 'could not extend file: No space left on device (simulated)'; end if;
      return new; end $$`)
    .execute(h.store.db);
  await sql.raw('create trigger fail_second_chunk before insert on requests for each row execute function fail_second_chunk()').execute(h.store.db);
  await sql
    .raw(`create function fail_refunds() returns trigger language plpgsql as $$ begin
      if new.kind = 'refund' and exists (select 1 from fault_refunds) then raise exception 'could not extend file: No space left on device (simulated)'; end if;
      return new; end $$`)
    .execute(h.store.db);
  await sql.raw('create trigger fail_refunds before insert on ledger for each row execute function fail_refunds()').execute(h.store.db);
}

async function healSecondChunk(h: Harness): Promise<void> {
  await sql.raw('drop trigger fail_second_chunk' + (h.store.dialect.name === 'postgres' ? ' on requests' : '')).execute(h.store.db);
}

await eachDialect(describe, 'batches: an upload answered with an error is never charged', (dialect) => {
  let h: Harness;
  let accountId: string;
  let client: ReturnType<typeof batchClient>;
  beforeEach(async () => {
    h = await createHarness(dialect);
    const account = await h.account({ initialCreditCents: CREDIT, priceCents: PRICE });
    accountId = account.id;
    client = batchClient(await h.app.listen({ port: 0, host: '127.0.0.1' }), account.key);
    await injectFaults(h, dialect);
  });
  afterEach(() => h.close());

  const count = async (table: 'requests' | 'batches') =>
    Number((await h.store.db.selectFrom(table).select(sql<number>`count(*)`.as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()).n);
  const rows = async () => Number((await h.store.db.selectFrom('batch_rows').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  const sweeper = () => createBatchSweeper({ deps: h.services.lookups, logger: pino({ level: 'silent' }), stuckAfterMs: 15 * 60_000 });

  test('a store failure in the second chunk of lookups: 503, nothing charged, nothing left, and the sweeper charges nothing later', async () => {
    const r = await client.upload(csvOf(codes(5000)), 'text/csv');
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.code, 'unavailable');
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT, "the first chunk's 2,000 charges were refunded");
    assert.deepEqual([await count('batches'), await count('requests'), await rows()], [0, 0, 0], 'the upload is gone');
    h.clock.advance(16 * 60_000);
    assert.deepEqual(await sweeper().sweep(), { completed: 0, deleted: 0 });
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT);
  });

  test('when the rollback fails too, the batch is never resumed: the sweeper rolls it back and refunds', async () => {
    await sql`insert into fault_refunds (x) values (1)`.execute(h.store.db);
    const r = await client.upload(csvOf(codes(5000)), 'text/csv');
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT - 2000 * PRICE, 'the failed rollback left the first chunk charged for now');
    const [left] = await h.store.db.selectFrom('batches').select(['id', 'status']).where('account_id', '=', accountId).execute();
    assert.equal(left.status, 'uploading');
    assert.equal((await client.get(`/v1/batches/${left.id}`)).body.status, 'uploading');
    await sql`delete from fault_refunds`.execute(h.store.db);
    await healSecondChunk(h);
    assert.deepEqual(await sweeper().sweep(), { completed: 0, deleted: 0 }, 'a young upload is left alone');
    h.clock.advance(16 * 60_000);
    assert.deepEqual(await sweeper().sweep(), { completed: 0, deleted: 1 });
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT, 'refunded, and nothing else charged');
    assert.deepEqual([await count('batches'), await count('requests'), await rows()], [0, 0, 0]);
    const ledger = await h.store.db
      .selectFrom('ledger')
      .select(['kind', sql<number>`count(*)`.as('n')])
      .where('account_id', '=', accountId)
      .groupBy('kind')
      .orderBy('kind')
      .execute();
    assert.deepEqual(
      ledger.map((l) => [l.kind, Number(l.n)]),
      [
        ['charge', 2000],
        ['refund', 2000],
        ['topup', 1],
      ],
      'each charge refunded once',
    );
  });

  test('a left-behind upload whose lookups a later accepted batch linked: those stay, charged once; the rest is refunded', async () => {
    await sql`insert into fault_refunds (x) values (1)`.execute(h.store.db);
    const all = codes(5000);
    assert.equal((await client.upload(csvOf(all), 'text/csv')).status, 503);
    await sql`delete from fault_refunds`.execute(h.store.db);
    await healSecondChunk(h);
    // The client retries with a part of the file: 100 of the codes the failed upload made, 100 new ones.
    const retry = await client.upload(csvOf([...all.slice(0, 100), ...codes(100, 9000)]), 'text/csv');
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.newLookups, 100, 'the 100 codes the account had are linked, not charged again');
    h.clock.advance(16 * 60_000);
    assert.deepEqual(await sweeper().sweep(), { completed: 0, deleted: 1 });
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT - 200 * PRICE, 'charged once for each code of the accepted batch, nothing for the rest');
    const linked = await h.store.db
      .selectFrom('batch_rows')
      .innerJoin('requests', 'requests.id', 'batch_rows.request_id')
      .select(['requests.batch_id'])
      .where('batch_rows.batch_id', '=', retry.body.id)
      .execute();
    assert.equal(linked.length, 200, 'every row of the accepted batch still has its lookup');
    assert.ok(
      linked.every((l) => l.batch_id === retry.body.id),
      'the lookups it linked now belong to it',
    );
  });

  test('Idempotency-Key: a retry after a failure creates the batch once; a replay answers 200 with it; another upload under the key is 422', async () => {
    const upload = csvOf(codes(5000));
    const headers = { 'idempotency-key': 'lotto-2026-12-01' };
    const send = (content: string | Uint8Array, type = 'text/csv', key = headers) => client.call('POST', '/v1/batches', { type, body: content, headers: key });
    assert.equal((await send(upload)).status, 503);
    await healSecondChunk(h);
    const first = await send(upload);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.newLookups, 5000);
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT - 5000 * PRICE);
    const again = await send(upload);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT - 5000 * PRICE, 'charged once');
    assert.equal(await count('batches'), 1);
    const other = await send(csvOf(codes(3)));
    assert.equal(other.status, 422, JSON.stringify(other.body));
    assert.equal(other.body.code, 'idempotency_conflict');
    const otherColumn = await client.call('POST', '/v1/batches?column=partita%20iva', { type: 'text/csv', body: upload, headers });
    assert.equal(otherColumn.status, 422, 'another column is another request');
    // XLSX: the whole file is compared, not only what the reader needed.
    const xlsx = await xlsxOf([['partita iva'], ...codes(3, 6000).map((c) => [c])]);
    const x1 = await send(xlsx, XLSX, { 'idempotency-key': 'xlsx-1' });
    assert.equal(x1.status, 202, JSON.stringify(x1.body));
    const x2 = await send(xlsx, XLSX, { 'idempotency-key': 'xlsx-1' });
    assert.deepEqual([x2.status, x2.body.id], [200, x1.body.id]);
    const tampered = Buffer.concat([xlsx, Buffer.from('coda diversa')]);
    assert.equal((await send(tampered, XLSX, { 'idempotency-key': 'xlsx-1' })).status, 422);
    assert.equal(await balanceOf(h.store.db, accountId), CREDIT - 5003 * PRICE);
  });
});
