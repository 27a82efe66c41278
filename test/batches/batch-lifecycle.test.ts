import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect } from '../helpers/stores.ts';
import { createWebhookHarness, type WebhookHarness } from '../webhooks/webhook-harness.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';
import { batchClient } from './batch-http.ts';
import { createBatchSweeper } from '../../src/batches/batch-sweeper.ts';
import { verifyWebhook } from '../../src/webhooks/sign.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { purgeExpired } from '../../src/privacy/purge-expired.ts';
import { newId } from '../../src/ids.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { PENDING_STATUSES } from '../../src/lookups/lookup-status.ts';
import { uploadingBatchRow } from '../../src/batches/create-batch.ts';

const CODES = ['00743110157', '01234567897', '12345678903'];
const DAY = 86_400_000;

await eachDialect(describe, 'batch lifecycle: completion webhook, interrupted uploads, retention', (dialect) => {
  let h: WebhookHarness;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    await h?.close();
  });

  async function setup() {
    h = await createWebhookHarness(dialect);
    const { id, key } = await h.account({ initialCreditCents: 1000, priceCents: 10 });
    const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    const sweeper = createBatchSweeper({ deps: h.services.lookups, logger: pino({ level: 'silent' }), stuckAfterMs: 15 * 60_000 });
    return { accountId: id, key, client: batchClient(base, key), sweeper };
  }

  /**
   * Reads the store rather than waiting for answer events: the worker may answer a request
   * before a wait on it begins, and that wait would sit out its whole timeout.
   */
  const allAnswered = () =>
    waitFor(
      () => h.store.db.selectFrom('requests').select('status').where('status', 'in', PENDING_STATUSES).execute(),
      (pending) => pending.length === 0,
      'every lookup of the batch answered',
    );

  test('a batch with a callbackUrl is posted, signed, once, when its last row is answered', async () => {
    const { key, client, sweeper } = await setup();
    receiver = await startReceiver();
    const up = await client.upload(`cf\n${CODES.join('\n')}\n`, 'text/csv', `?callbackUrl=${encodeURIComponent(`${receiver.url}/batch-hook`)}`);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal(up.body.callbackUrl, `${receiver.url}/batch-hook`);
    assert.equal((await sweeper.sweep()).completed, 0, 'not answered yet');
    const delivered = h.nextRun();
    h.webhooks.start();
    h.worker.start();
    // Nobody reads the batch: the last answer completes it (the settled hook), not the sweeper.
    await waitFor(
      () => h.store.db.selectFrom('batches').select('status').where('id', '=', up.body.id).executeTakeFirstOrThrow(),
      (b) => b.status === 'completed',
      'the batch completed by its last answer',
    );
    assert.equal((await sweeper.sweep()).completed, 0, 'nothing left for the sweeper');
    await delivered;
    const [hook] = await receiver.waitFor(1);
    assert.equal(hook.path, '/batch-hook');
    const secret = (await h.call(key, 'GET', '/v1/account/webhook')).body.secret as string;
    assert.ok(verifyWebhook(secret, hook.headers['x-cercapec-signature'] as string, hook.headers['x-cercapec-timestamp'] as string, hook.body));
    const body = JSON.parse(hook.body);
    assert.equal(body.id, up.body.id);
    assert.equal(body.status, 'completed');
    assert.equal(body.counts.not_found, 3);
    // Readers and later sweeps see it completed; nothing is announced twice.
    assert.equal((await sweeper.sweep()).completed, 0);
    assert.equal((await client.get(`/v1/batches/${up.body.id}`)).body.status, 'completed');
    const deliveries = await h.call(key, 'GET', '/v1/webhooks/deliveries');
    assert.equal(deliveries.body.items.filter((d: { event: string }) => d.event === 'batch.completed').length, 1);
  });

  test('a callbackUrl that is not http(s), or points at a private address, is refused before reading the upload', async () => {
    const { client } = await setup();
    const bad = await client.upload(`cf\n${CODES[0]}\n`, 'text/csv', `?callbackUrl=${encodeURIComponent('ftp://example.com/x')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /callbackUrl/);
    assert.equal((await h.store.db.selectFrom('batches').select('id').execute()).length, 0);
  });

  test('an upload a crash left half-made is rolled back, never resumed: it was never answered 202', async () => {
    const { accountId, sweeper } = await setup();
    const now = h.clock.now();
    const insertBatch = async (passedCheck: boolean) => {
      const id = newId('bat', now);
      await h.store.db
        .insertInto('batches')
        .values({
          ...uploadingBatchRow({ id, accountId, format: 'csv', callbackUrl: null, now }),
          column_name: passedCheck ? 'cf' : null,
          input_columns: passedCheck ? '["cf"]' : '[]',
          csv_delimiter: ',',
          total_rows: passedCheck ? 3 : 0,
          valid_rows: passedCheck ? 3 : 0,
          distinct_codes: passedCheck ? 3 : 0,
        })
        .execute();
      await h.store.db
        .insertInto('batch_rows')
        .values(CODES.map((code, i) => ({ batch_id: id, row_index: i, input: JSON.stringify([code]), code, error: null, request_id: null })))
        .execute();
      return id;
    };
    const checked = await insertBatch(true);
    const abandoned = await insertBatch(false);
    assert.deepEqual(await sweeper.sweep(), { completed: 0, deleted: 0 }, 'young uploads are left alone: they may still be arriving');
    h.clock.advance(16 * 60_000);
    assert.deepEqual(await sweeper.sweep(), { completed: 0, deleted: 2 });
    for (const id of [checked, abandoned]) {
      assert.equal(await h.store.db.selectFrom('batches').select('id').where('id', '=', id).executeTakeFirst(), undefined);
      assert.equal((await h.store.db.selectFrom('batch_rows').select('row_index').where('batch_id', '=', id).execute()).length, 0);
    }
    assert.equal(await balanceOf(h.store.db, accountId), 1000, 'nothing charged');
    h.clock.advance(16 * 60_000);
    assert.deepEqual(await sweeper.sweep(), { completed: 0, deleted: 0 });
    assert.equal(await balanceOf(h.store.db, accountId), 1000, 'and never later');
  });

  test('retention deletes completed batches with their rows; the ledger stays', async () => {
    const { accountId, client, sweeper } = await setup();
    const up = await client.upload(`cf\n${CODES.join('\n')}\n`, 'text/csv');
    h.worker.start();
    await allAnswered();
    await sweeper.sweep();
    assert.equal((await purgeExpired(h.store.db, h.clock.now() + 89 * DAY, 90)).batches, 0);
    const counts = await purgeExpired(h.store.db, h.clock.now() + 91 * DAY, 90);
    assert.equal(counts.batches, 1);
    assert.equal((await client.get(`/v1/batches/${up.body.id}`)).status, 404);
    assert.equal((await h.store.db.selectFrom('batch_rows').select('row_index').execute()).length, 0);
    assert.equal(await balanceOf(h.store.db, accountId), 970);
  });
});
