/**
 * Reads never write (issue 18): a batch completes when its last row settles, with nobody reading
 * it, and reading batches (GET one, GET the list, the results) changes no row. The sweeper stays
 * the backstop for a batch whose rows settled without the hook (a crash between the two).
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { batchClient } from './batch-http.ts';
import { createBatchSweeper } from '../../src/batches/batch-sweeper.ts';
import { cancelLookupById } from '../../src/lookups/cancel-lookup.ts';
import { normalizeAccount } from '../../src/accounts/api-keys.ts';
import { waitFor } from '../helpers/wait-for.ts';

const CODES = ['00743110157', '01234567897', '12345678903'];

await eachDialect(describe, 'batch settling', (dialect) => {
  let h: Harness;
  afterEach(() => h?.close());

  async function setup() {
    h = await createHarness(dialect, { inlineAnswers: false });
    const { id, key } = await h.account({ initialCreditCents: 1000, priceCents: 10 });
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const up = await batchClient(base, key).upload(`cf\n${CODES.join('\n')}\n`, 'text/csv');
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const account = normalizeAccount(await h.store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    return { account, client: batchClient(base, key), batchId: up.body.id as string };
  }

  const batchRow = (id: string) => h.store.db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const deliveries = (id: string) => h.store.db.selectFrom('webhook_deliveries').select('id').where('batch_id', '=', id).execute();
  /** Every row of the tables a completion writes, as text: equal before and after means nothing was written. */
  const snapshot = async () =>
    JSON.stringify([
      await h.store.db.selectFrom('batches').selectAll().orderBy('id').execute(),
      await h.store.db.selectFrom('requests').selectAll().orderBy('id').execute(),
      await h.store.db.selectFrom('jobs').selectAll().orderBy('id').execute(),
      await h.store.db.selectFrom('webhook_deliveries').selectAll().orderBy('id').execute(),
    ]);

  test('cancelling the last pending row completes the batch at once, with no read', async () => {
    const { account, batchId } = await setup();
    const requests = await h.store.db.selectFrom('requests').select('id').where('batch_id', '=', batchId).orderBy('id').execute();
    assert.equal(requests.length, 3);
    for (const [i, r] of requests.entries()) {
      assert.equal((await batchRow(batchId)).status, 'processing', `still processing before cancel ${i + 1}`);
      await cancelLookupById(h.services.lookups, account, r.id);
    }
    const done = await batchRow(batchId);
    assert.equal(done.status, 'completed');
    assert.equal(JSON.parse(done.counts!).cancelled, 3);
  });

  test('reads change no row; the sweeper completes a batch settled without the hook, once', async () => {
    const { client, batchId } = await setup();
    // Rows settled behind the hook's back, as a crash between the answer's commit and the hook leaves them.
    await h.store.db.updateTable('requests').set({ status: 'not_found', answered_at: h.clock.now() }).where('batch_id', '=', batchId).execute();
    const before = await snapshot();
    const one = await client.get(`/v1/batches/${batchId}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.status, 'processing', 'a read shows what is stored');
    assert.equal(one.body.progress, 1);
    assert.equal((await client.get('/v1/batches')).status, 200);
    assert.equal((await client.get(`/v1/batches/${batchId}/results?format=csv`)).status, 200);
    assert.equal(await snapshot(), before, 'no read wrote a row');
    const sweeper = createBatchSweeper({ deps: h.services.lookups, logger: pino({ level: 'silent' }) });
    assert.equal((await sweeper.sweep()).completed, 1);
    assert.equal((await sweeper.sweep()).completed, 0);
    assert.equal((await batchRow(batchId)).status, 'completed');
    assert.equal((await client.get(`/v1/batches/${batchId}`)).body.status, 'completed');
  });

  test('the worker answering every row completes the batch and queues its webhook once, with no read', async () => {
    const { batchId } = await setup();
    await h.store.db.updateTable('batches').set({ callback_url: 'http://127.0.0.1:9/hook' }).where('id', '=', batchId).execute();
    h.worker.start();
    await waitFor(
      () => batchRow(batchId),
      (b) => b.status === 'completed',
      'the batch completed by its last answer',
    );
    assert.equal((await deliveries(batchId)).length, 1);
  });
});
