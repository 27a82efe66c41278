import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { eachDialect } from '../helpers/stores.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createMaintenance } from '../../src/queue/maintenance.ts';
import { purgeHistoryTask } from '../../src/history/purge-history.ts';
import { purgeExpiredTask } from '../../src/privacy/purge-expired.ts';
import { purgeWebhookDeliveriesTask } from '../../src/webhooks/purge-deliveries.ts';
import { purgeRegistryCacheTask } from '../../src/registries/purge-cache.ts';
import { TABLE_KEYS } from '../../src/store/schema.ts';
import { createWebhookHarness, type WebhookHarness } from '../webhooks/webhook-harness.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';

/**
 * Retention of a person's data: a person's codice fiscale and PEC, looked up through both
 * protocols, a batch and a webhook, are gone from every table once the retention period has
 * passed and maintenance ran; only the directory they came from (the imported dataset) keeps
 * them. Checked by searching every text column of every table, so a new table that copies them
 * is caught too.
 */

const DAY = 86_400_000;
const PERSON = 'RSSMRA85T10A562S';
const PERSON_PEC = 'mario.rossi@pec.avvocati.example.it';
const COMPANY = '82003050109';
/** The directory's own tables: source data, imported by the operator, not requests. */
const SOURCE_TABLES = new Set(['datasets', 'directory_entries']);

await eachDialect(describe, "retention of persons' data", (dialect) => {
  let h: WebhookHarness;
  let receiver: Receiver;
  let key: string;
  const dir = mkdtempSync(join(tmpdir(), 'cercapec-retention-'));

  before(async () => {
    h = await createWebhookHarness(dialect, { retentionDays: 90 });
    const file = join(dir, 'persone.csv');
    writeFileSync(file, `codice_fiscale,pec,denominazione,tipo\n${PERSON},${PERSON_PEC},Mario Rossi,persona\n`);
    await importDataset(h.store, h.clock, { file, format: 'csv', name: 'albo' });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    receiver = await startReceiver();
    ({ key } = await h.account());
  });
  after(async () => {
    await receiver.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every table and text-like column where the value appears (outside the directory itself). */
  async function whereIs(value: string): Promise<string[]> {
    const found: string[] = [];
    const tables = Object.keys(TABLE_KEYS).filter((t) => !SOURCE_TABLES.has(t));
    // Tables added by migrations that TABLE_KEYS does not list yet are searched too.
    const all =
      dialect === 'sqlite'
        ? (
            await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(
              h.store.db,
            )
          ).rows.map((r) => r.name)
        : (
            await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name not like 'kysely_%'`.execute(
              h.store.db,
            )
          ).rows.map((r) => r.name);
    for (const table of new Set([...tables, ...all.filter((t) => !SOURCE_TABLES.has(t))])) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(h.store.db);
      for (const row of rows.rows) {
        for (const [column, cell] of Object.entries(row)) {
          if (typeof cell === 'string' && cell.toUpperCase().includes(value.toUpperCase())) found.push(`${table}.${column}`);
        }
      }
    }
    return [...new Set(found)];
  }

  test("a person's code and PEC are in no table once retention passed (requests, addresses, batches, webhooks, caches)", async () => {
    const call = (method: string, path: string, body?: unknown) => h.call(key, method, path, body);
    assert.equal((await call('PUT', '/v1/account/webhook', { url: `${receiver.url}/hook` })).status, 200);
    const viaJson = await call('POST', '/v1/lookups', { code: PERSON.toLowerCase(), callbackUrl: `${receiver.url}/own` });
    assert.equal(viaJson.status, 202, JSON.stringify(viaJson.body));
    const upload = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      payload: `nome;codice fiscale\nMario Rossi;${PERSON}\nComune;${COMPANY}\n`,
    });
    assert.equal(upload.statusCode, 202, upload.body);
    const batchId = (JSON.parse(upload.body) as { id: string }).id;
    h.webhooks.start();
    h.worker.start();
    const answered = await call('GET', `/v1/lookups/${viaJson.body.id}?wait=10`);
    assert.equal(answered.body.status, 'found');
    assert.equal(answered.body.pec, PERSON_PEC);
    await receiver.waitFor(2); // the lookup's callback and the batch's completion, at least
    for (let i = 0; i < 200; i++) {
      const batch = await call('GET', `/v1/batches/${batchId}`);
      const pending = (await h.store.db.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending').execute()).length;
      if (batch.body.status === 'completed' && pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await h.worker.stop(1000);
    await h.webhooks.stop(1000);
    // A text-protocol request for the same person (another account, so it is not a duplicate).
    const other = await h.account({ name: 'altro studio' });
    const submitted = await h.app.inject({ method: 'POST', url: '/index_ws.php', payload: { key: other.key, cf: PERSON } });
    assert.match(submitted.body, /^OK\|/);

    const before = await whereIs(PERSON_PEC);
    assert.ok(
      before.includes('requests.pec') && before.includes('request_addresses.pec') && before.includes('webhook_deliveries.body'),
      `the PEC is stored while fresh: ${before.join(', ')}`,
    );
    assert.ok((await whereIs(PERSON)).includes('batch_rows.input'), 'the batch holds the code while fresh');

    h.clock.advance(91 * DAY);
    const maintenance = createMaintenance({
      store: h.store,
      clock: h.clock,
      logger: h.services.logger,
      tasks: [purgeExpiredTask(90), purgeWebhookDeliveriesTask(90), purgeRegistryCacheTask(), purgeHistoryTask(90), ...h.services.registries.tasks],
    });
    // The text request is still pending (the worker was stopped): it is answered first, as it would be.
    const pendingAnswer = h.services.notifier.waitForAnswer(submitted.body.slice(3), 10_000);
    h.worker.start();
    await pendingAnswer;
    await h.worker.stop(1000);
    h.clock.advance(91 * DAY);
    await maintenance.runAll();

    assert.deepEqual(await whereIs(PERSON_PEC), [], "the person's PEC is gone from every table");
    assert.deepEqual(await whereIs(PERSON), [], "and the person's code");
    const directory = await h.store.db.selectFrom('directory_entries').select('pec').where('code', '=', PERSON).execute();
    assert.deepEqual(
      directory.map((d) => d.pec),
      [PERSON_PEC],
      'the imported directory keeps its source data',
    );
    const ledger = await h.store.db.selectFrom('ledger').select('kind').where('kind', '=', 'charge').execute();
    assert.ok(ledger.length >= 3, 'the charges stay: the ledger is the accounting record');
  });
});
