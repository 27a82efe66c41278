import { describe, test, beforeEach, afterEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { answerBatch, batchClient, cf11, csvRows, XLSX, xlsxRows } from './batch-http.ts';

const REZZOAGLIO = '82003050109';
const REZZOAGLIO_PEC = 'protocollo@pec.comune.rezzoaglio.ge.it';
const UNKNOWN = '00743110157';
const TWO_PECS = cf11(4242);

const dir = mkdtempSync(join(tmpdir(), 'cercapec-batches-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const dataset = join(dir, 'two-pecs.csv');
writeFileSync(dataset, `codice_fiscale,pec,denominazione\n${TWO_PECS},sede@pec.example.it,Alfa\n${TWO_PECS},filiale@pec.example.it,Alfa\n`);

const UPLOAD =
  'rif,codice,Città\n' +
  `r1,${REZZOAGLIO},Rezzoaglio\n` +
  `r2,${TWO_PECS},Rhêmes\n` +
  `r3,${UNKNOWN},Milano\n` +
  'r4,boh,Roma\n' +
  `r5,${REZZOAGLIO},Rezzoaglio\n`;

await eachDialect(describe, 'batches: progress and results', (dialect) => {
  let h: Harness;
  let client: ReturnType<typeof batchClient>;
  beforeEach(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    await importDataset(h.store, h.clock, { file: dataset, format: 'csv', name: 'two-pecs' });
    const account = await h.account();
    client = batchClient(await h.app.listen({ port: 0, host: '127.0.0.1' }), account.key);
  });
  afterEach(() => h.close());

  async function answeredBatch(): Promise<string> {
    const created = await client.upload(UPLOAD, 'text/csv');
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.status, 'processing');
    assert.equal(created.body.progress, 1 / 5, 'only the invalid row is settled');
    assert.equal(created.body.completedAt, null);
    h.clock.advance(60_000);
    await answerBatch(h, created.body.id);
    return created.body.id;
  }

  test('counts and progress move to completed once the worker has answered every lookup', async () => {
    const id = await answeredBatch();
    const done = await client.get(`/v1/batches/${id}`);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'completed');
    assert.equal(done.body.progress, 1);
    assert.deepEqual(done.body.counts, { queued: 0, running: 0, waiting_operator: 0, found: 3, not_found: 1, failed: 0, cancelled: 0, invalid: 1, refused: 0 });
    assert.equal(done.body.completedAt, new Date(h.clock.now()).toISOString(), 'completed when the last lookup was answered');
    h.clock.advance(60_000);
    assert.deepEqual((await client.get(`/v1/batches/${id}`)).body, done.body, 'a completed batch no longer changes');
    assert.deepEqual((await client.get('/v1/batches')).body.items, [done.body]);
  });

  test('results in input order with the input columns: CSV, JSON, XLSX; an XLSX result uploads again', async () => {
    const id = await answeredBatch();
    const expected = [
      ['r1', REZZOAGLIO, 'Rezzoaglio', REZZOAGLIO, 'found', REZZOAGLIO_PEC, REZZOAGLIO_PEC, 'directory', ''],
      ['r2', TWO_PECS, 'Rhêmes', TWO_PECS, 'found', 'sede@pec.example.it', 'sede@pec.example.it;filiale@pec.example.it', 'directory', ''],
      ['r3', UNKNOWN, 'Milano', UNKNOWN, 'not_found', '', '', '', ''],
      [
        'r4',
        'boh',
        'Roma',
        '',
        'invalid',
        '',
        '',
        '',
        'Codice fiscale non valido: lunghezza errata (3 caratteri; attesi 16 per una persona fisica o 11 cifre)',
      ],
      ['r5', REZZOAGLIO, 'Rezzoaglio', REZZOAGLIO, 'found', REZZOAGLIO_PEC, REZZOAGLIO_PEC, 'directory', ''],
    ];
    const header = ['rif', 'codice', 'Città', 'code', 'status', 'pec', 'addresses', 'source', 'error'];

    const csv = await client.get(`/v1/batches/${id}/results?format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="${id}.csv"`));
    assert.deepEqual(csvRows(csv.body), [header, ...expected]);
    assert.deepEqual(csvRows((await client.get(`/v1/batches/${id}/results`)).body), [header, ...expected], 'CSV by default');

    const json = await client.get(`/v1/batches/${id}/results?format=json`);
    assert.equal(json.status, 200);
    assert.deepEqual(
      json.body.map((r: { row: number }) => r.row),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(json.body[1], {
      row: 2,
      input: { rif: 'r2', codice: TWO_PECS, Città: 'Rhêmes' },
      code: TWO_PECS,
      status: 'found',
      pec: 'sede@pec.example.it',
      addresses: ['sede@pec.example.it', 'filiale@pec.example.it'],
      source: 'directory',
      error: null,
    });
    assert.deepEqual([json.body[3].code, json.body[3].status, json.body[3].addresses], [null, 'invalid', []]);

    const xlsx = await client.get(`/v1/batches/${id}/results?format=xlsx`);
    assert.equal(xlsx.status, 200);
    assert.equal(xlsx.headers.get('content-type'), XLSX);
    assert.deepEqual(await xlsxRows(xlsx.body), [header, ...expected]);

    // The results file (inline strings, written by the streaming writer) is an upload too: its
    // own result columns come back as input_<name>, accents intact through the streamed read.
    const again = await client.upload(xlsx.body, XLSX, '?column=code');
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.deepEqual([again.body.rows, again.body.validRows, again.body.newLookups], [5, 4, 0], 'codes the account has: linked, not charged');
    const echoed = csvRows((await client.get(`/v1/batches/${again.body.id}/results`)).body);
    assert.deepEqual(echoed[0], [
      ...header.slice(0, 3),
      'input_code',
      'input_status',
      'input_pec',
      'input_addresses',
      'input_source',
      'input_error',
      ...header.slice(3),
    ]);
    assert.deepEqual(echoed[2].slice(0, 5), ['r2', TWO_PECS, 'Rhêmes', TWO_PECS, 'found']);
    assert.deepEqual(echoed[2].slice(9, 11), [TWO_PECS, 'found']);
  });
});
