import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { eachDialect } from '../helpers/stores.ts';
import { createWebhookHarness, type WebhookHarness } from '../webhooks/webhook-harness.ts';
import { batchClient } from './batch-http.ts';
import { createBatchSweeper } from '../../src/batches/batch-sweeper.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { balanceOf } from '../../src/billing/balance.ts';

const TWO = '00743110157'; // two addresses in the dataset
const ONE = '01234567897';
const MISSING = '12345678903';

/**
 * Batch lookups the local directory can answer are written answered while the batch's rows get
 * their lookups: no worker runs in these tests, so whatever is answered was answered that way.
 */
await eachDialect(describe, 'batch lookups answered from the directory while they are created', (dialect) => {
  let h: WebhookHarness;
  let dir: string;
  afterEach(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function setup() {
    h = await createWebhookHarness(dialect, { inlineAnswers: true });
    dir = await mkdtemp(join(tmpdir(), 'cercapec-batch-inline-'));
    const file = join(dir, 'clienti.csv');
    await writeFile(file, `codice_fiscale;pec\n${TWO};prima@pec.example.it\n${ONE};unica@pec.example.it\n${TWO};seconda@pec.example.it\n`);
    await importDataset(h.store, h.clock, { file, format: 'csv', name: 'clienti' });
    return `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  }

  test('hits answered with every address in order, a final miss answered not found, each charged once, webhooks queued, no job', async () => {
    const base = await setup();
    const { id: accountId, key } = await h.account({ initialCreditCents: 1000, priceCents: 10 });
    assert.equal((await h.call(key, 'PUT', '/v1/account/webhook', { url: 'http://127.0.0.1:9/hook' })).status, 200);
    const up = await batchClient(base, key).upload(`cf\n${TWO}\n${ONE}\n${MISSING}\n${TWO}\n`, 'text/csv');
    assert.equal(up.status, 202, JSON.stringify(up.body));

    const requests = await h.store.db.selectFrom('requests').selectAll().orderBy('code').execute();
    assert.deepEqual(
      requests.map((r) => [r.code, r.status, r.pec, r.source]),
      [
        [TWO, 'found', 'prima@pec.example.it', 'directory'],
        [ONE, 'found', 'unica@pec.example.it', 'directory'],
        [MISSING, 'not_found', null, null],
      ],
    );
    assert.ok(requests.every((r) => r.answered_at !== null));
    const two = requests.find((r) => r.code === TWO)!;
    const addresses = await h.store.db
      .selectFrom('request_addresses')
      .select(['pec', 'position'])
      .where('request_id', '=', two.id)
      .orderBy('position')
      .execute();
    assert.deepEqual(
      addresses.map((a) => a.pec),
      ['prima@pec.example.it', 'seconda@pec.example.it'],
    );
    assert.equal((await h.store.db.selectFrom('attempts').selectAll().execute()).length, 3, 'one directory attempt per lookup');
    assert.equal((await h.store.db.selectFrom('jobs').selectAll().where('queue', '=', 'lookup').execute()).length, 0, 'nothing queued');
    const charges = await h.store.db.selectFrom('ledger').select('request_id').where('kind', '=', 'charge').execute();
    assert.deepEqual(charges.map((c) => c.request_id).sort(), requests.map((r) => r.id).sort(), 'one charge per lookup');
    assert.equal(await balanceOf(h.store.db, accountId), 1000 - 30);
    const events = (await h.store.db.selectFrom('webhook_deliveries').select('event').execute()).map((d) => d.event).sort();
    assert.deepEqual(
      events,
      ['batch.completed', 'lookup.answered', 'lookup.answered', 'lookup.answered'],
      'the account webhook hears of each answer, and of the batch',
    );

    // Settled while it was created: complete at once, and nothing left for the sweeper.
    const sweeper = createBatchSweeper({ deps: h.services.lookups, logger: pino({ level: 'silent' }) });
    assert.equal((await sweeper.sweep()).completed, 0);
    const batch = await batchClient(base, key).get(`/v1/batches/${up.body.id}`);
    assert.equal(batch.body.status, 'completed');
    assert.deepEqual([batch.body.counts.found, batch.body.counts.not_found], [3, 1]);
  });

  test('with another source or an operator behind the directory, a miss goes through the queue', async () => {
    const base = await setup();
    const { key } = await h.account({ initialCreditCents: 1000, priceCents: 10, operatorFallback: true });
    const up = await batchClient(base, key).upload(`cf\n${ONE}\n${MISSING}\n`, 'text/csv');
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const requests = await h.store.db.selectFrom('requests').select(['code', 'status']).orderBy('code').execute();
    assert.deepEqual(
      requests.map((r) => [r.code, r.status]),
      [
        [ONE, 'found'],
        [MISSING, 'queued'],
      ],
    );
    assert.equal((await h.store.db.selectFrom('jobs').selectAll().where('queue', '=', 'lookup').execute()).length, 1);
  });

  test('credit for only part of the batch: the rest is refused, hits included, and nothing is charged twice', async () => {
    const base = await setup();
    const { id: accountId, key } = await h.account({ initialCreditCents: 20, priceCents: 10 });
    // The upfront check refuses a batch it cannot pay at all; this one passes it and runs short.
    const up = await batchClient(base, key).upload(`cf\n${TWO}\n${ONE}\n`, 'text/csv');
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal(await balanceOf(h.store.db, accountId), 0);
    assert.equal((await h.store.db.selectFrom('ledger').selectAll().where('kind', '=', 'charge').execute()).length, 2);
  });
});
