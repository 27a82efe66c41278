import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { batchClient, csvRows, isProblem, streamOf, XLSX, xlsxOf, xlsxRows } from './batch-http.ts';

const REZZOAGLIO = '82003050109';
const RHEMES = '00138020078';
const UNKNOWN = '00743110157';
const PERSON = 'RSSMRA85T10A562S';
const zeroCounts = { queued: 0, running: 0, waiting_operator: 0, found: 0, not_found: 0, failed: 0, cancelled: 0, invalid: 0, refused: 0 };

await eachDialect(describe, 'batches: upload', (dialect) => {
  let h: Harness;
  let client: ReturnType<typeof batchClient>;
  let accountId: string;
  beforeEach(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    const account = await h.account({ initialCreditCents: 1000, priceCents: 10 });
    accountId = account.id;
    client = batchClient(await h.app.listen({ port: 0, host: '127.0.0.1' }), account.key);
  });
  afterEach(() => h.close());

  const balance = async (key?: string) => (await client.get('/v1/account', key)).body.balanceCents;
  const n = sql<number>`count(*)`.as('n');
  const count = async (table: 'requests' | 'batches' | 'batch_rows', account = accountId) => {
    const row =
      table === 'batch_rows'
        ? await h.store.db
            .selectFrom('batch_rows')
            .innerJoin('batches', 'batches.id', 'batch_rows.batch_id')
            .select(n)
            .where('batches.account_id', '=', account)
            .executeTakeFirstOrThrow()
        : await h.store.db.selectFrom(table).select(n).where('account_id', '=', account).executeTakeFirstOrThrow();
    return Number(row.n);
  };

  test('CSV with ; and BOM, a named column, leading zeros: invalid rows reported, duplicates share a lookup, a code the account has is linked uncharged', async () => {
    const existing = await client.call('POST', '/v1/lookups', { type: 'application/json', body: JSON.stringify({ code: UNKNOWN }) });
    assert.equal(existing.status, 202);
    const csv =
      '\uFEFFRagione sociale;Partita IVA;Città\r\n' +
      `Comune di Rezzoaglio;${REZZOAGLIO};Rezzoaglio\r\n` +
      `Comune di Rhêmes-Notre-Dame;${RHEMES};Rhêmes\r\n` +
      'Sbagliato;82003050108;Roma\r\n' +
      `Doppione;IT ${REZZOAGLIO};Rezzoaglio\r\n` +
      `Già presente;${UNKNOWN};Milano\r\n` +
      'Vuoto;;Napoli\r\n' +
      `"Rossi; Mario";${PERSON.toLowerCase()};"Roma"\r\n`;
    const created = await client.upload(csv, 'text/csv; charset=utf-8', '?column=partita%20iva');
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const b = created.body;
    assert.equal(b.format, 'csv');
    assert.equal(b.column, 'Partita IVA');
    assert.deepEqual(b.columns, ['Ragione sociale', 'Partita IVA', 'Città']);
    assert.deepEqual([b.rows, b.validRows, b.invalidRows, b.distinctCodes, b.newLookups, b.chargedCents], [7, 5, 2, 4, 3, 30]);
    assert.equal(b.status, 'processing');
    // The row of the code the account had shows that lookup's status (answered at submission
    // when the directory answers inline, else still queued).
    const was = existing.body.status as string;
    assert.deepEqual(b.counts, { ...zeroCounts, invalid: 2, queued: 4 + (was === 'queued' ? 1 : 0), ...(was === 'queued' ? {} : { [was]: 1 }) });
    assert.equal(b.progress, was === 'queued' ? 2 / 7 : 3 / 7);
    assert.equal(await balance(), 1000 - 10 - 30, 'charged once per new distinct code');
    assert.equal(await count('requests'), 4);

    const rows = await h.store.db.selectFrom('batch_rows').selectAll().where('batch_id', '=', b.id).orderBy('row_index').execute();
    assert.deepEqual(
      rows.map((r) => r.code),
      [REZZOAGLIO, RHEMES, null, REZZOAGLIO, UNKNOWN, null, PERSON],
    );
    assert.equal(rows[3].request_id, rows[0].request_id, 'duplicates share one lookup');
    assert.equal(rows[4].request_id, existing.body.id, 'the code the account had is linked to its lookup');
    assert.match(rows[2].error!, /cifra di controllo errata/);
    assert.match(rows[5].error!, /codice vuoto/);
    const viaBatch = await h.store.db.selectFrom('requests').select(['id', 'via', 'batch_id']).where('batch_id', '=', b.id).execute();
    assert.equal(viaBatch.length, 3);
    assert.ok(viaBatch.every((r) => r.via === 'batch'));

    const results = await client.get(`/v1/batches/${b.id}/results?format=csv`);
    assert.equal(results.status, 200);
    const table = csvRows(results.body, ';');
    assert.deepEqual(table[0], ['Ragione sociale', 'Partita IVA', 'Città', 'code', 'status', 'pec', 'addresses', 'source', 'error']);
    assert.deepEqual(
      table.slice(1).map((r) => r.slice(0, 5)),
      [
        ['Comune di Rezzoaglio', REZZOAGLIO, 'Rezzoaglio', REZZOAGLIO, 'queued'],
        ['Comune di Rhêmes-Notre-Dame', RHEMES, 'Rhêmes', RHEMES, 'queued'],
        ['Sbagliato', '82003050108', 'Roma', '', 'invalid'],
        ['Doppione', `IT ${REZZOAGLIO}`, 'Rezzoaglio', REZZOAGLIO, 'queued'],
        ['Già presente', UNKNOWN, 'Milano', UNKNOWN, was],
        ['Vuoto', '', 'Napoli', '', 'invalid'],
        ['Rossi; Mario', PERSON.toLowerCase(), 'Roma', PERSON, 'queued'],
      ],
    );
    assert.match(table[3][8], /^Codice fiscale non valido: cifra di controllo errata/);
  });

  test('the code column is detected when not named; a bare list of codes has no header', async () => {
    const detected = await client.upload(`id,nome,codice fiscale\n1,Alfa,${REZZOAGLIO}\n2,Beta,${RHEMES}\n3,Gamma,non so\n`, 'text/csv');
    assert.equal(detected.status, 202, JSON.stringify(detected.body));
    assert.equal(detected.body.column, 'codice fiscale');
    assert.deepEqual([detected.body.rows, detected.body.validRows, detected.body.invalidRows], [3, 2, 1]);

    const bare = await client.upload(`${UNKNOWN}\n${PERSON}\n\n`, 'text/csv');
    assert.equal(bare.status, 202, JSON.stringify(bare.body));
    assert.deepEqual(bare.body.columns, ['column_1']);
    assert.deepEqual([bare.body.rows, bare.body.validRows, bare.body.newLookups], [2, 2, 2]);

    isProblem(await client.upload(`nome,citta\nAlfa,Roma\nBeta,Milano\n`, 'text/csv'), 400, 'invalid_request');
    isProblem(await client.upload(`id,codice\n1,${UNKNOWN}\n`, 'text/csv', '?column=piva'), 400, 'invalid_request');
    isProblem(await client.upload('', 'text/csv'), 400, 'invalid_request');
    assert.equal(await count('batches'), 2, 'refused uploads leave no batch behind');
  });

  test('JSON: an array of codes and of objects with a code field; other elements are invalid rows', async () => {
    const body = JSON.stringify([REZZOAGLIO, 138020078, { code: UNKNOWN, rif: 'pratica "7"', importo: 12.5 }, { rif: 'senza codice' }, null, 'abc']);
    const created = await client.upload(body, 'application/json');
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.deepEqual(created.body.columns, ['code', 'rif', 'importo']);
    assert.deepEqual([created.body.rows, created.body.validRows, created.body.invalidRows, created.body.newLookups], [6, 3, 3, 3]);
    const codes = await h.store.db.selectFrom('batch_rows').select('code').where('batch_id', '=', created.body.id).orderBy('row_index').execute();
    assert.deepEqual(
      codes.map((r) => r.code),
      [REZZOAGLIO, RHEMES, UNKNOWN, null, null, null],
      'a number that lost its leading zeros is re-padded',
    );

    isProblem(await client.upload('[1, 2', 'application/json'), 400, 'invalid_request');
    isProblem(await client.upload('{"code": "x"}', 'application/json'), 400, 'invalid_request');
    isProblem(await client.upload('[]', 'application/json'), 400, 'invalid_request');
    isProblem(await client.upload('["a",]', 'application/json'), 400, 'invalid_request');
  });

  test('XLSX in (numeric cells re-padded only to valid codes) and out (text cells, zeros kept)', async () => {
    const file = await xlsxOf([
      ['Denominazione', 'P.IVA', 'Importo'],
      ['Rezzoaglio', Number(REZZOAGLIO), 12.5],
      ['Rhêmes', Number(RHEMES), 3],
      ['Testo', UNKNOWN, 0],
      ['Corto', 1234, 1],
    ]);
    const created = await client.upload(file, XLSX);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.format, 'xlsx');
    assert.equal(created.body.column, 'P.IVA');
    assert.deepEqual([created.body.rows, created.body.validRows, created.body.invalidRows], [4, 3, 1]);

    const results = await client.get(`/v1/batches/${created.body.id}/results?format=xlsx`);
    assert.equal(results.status, 200);
    assert.equal(results.headers.get('content-type'), XLSX);
    const rows = await xlsxRows(results.body);
    assert.deepEqual(rows[0], ['Denominazione', 'P.IVA', 'Importo', 'code', 'status', 'pec', 'addresses', 'source', 'error']);
    assert.deepEqual(
      rows.slice(1).map((r) => r.slice(0, 5)),
      [
        ['Rezzoaglio', REZZOAGLIO, '12.5', REZZOAGLIO, 'queued'],
        ['Rhêmes', '138020078', '3', RHEMES, 'queued'],
        ['Testo', UNKNOWN, '0', UNKNOWN, 'queued'],
        ['Corto', '1234', '1', '', 'invalid'],
      ],
    );
    isProblem(await client.upload(Buffer.from('not a zip file at all'), XLSX), 400, 'invalid_request');
  });

  test('prepaid: a batch the credit cannot cover is refused whole (402), nothing charged or stored', async () => {
    const poor = await h.account({ initialCreditCents: 25, priceCents: 10 });
    const three = `codice\n${REZZOAGLIO}\n${RHEMES}\n${UNKNOWN}\n`;
    isProblem(await client.upload(three, 'text/csv', '', poor.key), 402, 'insufficient_credit');
    assert.equal(await balance(poor.key), 25);
    assert.deepEqual([await count('requests', poor.id), await count('batches', poor.id), await count('batch_rows', poor.id)], [0, 0, 0]);
    // Duplicates and invalid rows cost nothing: two new distinct codes fit.
    const two = await client.upload(`codice\n${REZZOAGLIO}\n${RHEMES}\n${REZZOAGLIO}\nxyz\n`, 'text/csv', '', poor.key);
    assert.equal(two.status, 202, JSON.stringify(two.body));
    assert.equal(two.body.chargedCents, 20);
    assert.equal(await balance(poor.key), 5);
  });

  test("415 for another content type; another account's batch is 404 like an unknown one; list with cursor paging", async () => {
    isProblem(await client.upload('x', 'text/plain'), 415, 'unsupported_media_type');
    const ids: string[] = [];
    for (const code of [REZZOAGLIO, RHEMES, UNKNOWN]) {
      const r = await client.upload(`${code}\n`, 'text/csv');
      ids.push(r.body.id);
      h.clock.advance(1000);
    }
    const other = await h.account();
    isProblem(await client.get(`/v1/batches/${ids[0]}`, other.key), 404, 'not_found');
    isProblem(await client.get(`/v1/batches/${ids[0]}/results?format=json`, other.key), 404, 'not_found');
    isProblem(await client.get('/v1/batches/bat_nope'), 404, 'not_found');
    assert.deepEqual((await client.get('/v1/batches', other.key)).body.items, []);

    const first = await client.get('/v1/batches?limit=2');
    assert.deepEqual(
      first.body.items.map((b: { id: string }) => b.id),
      [ids[2], ids[1]],
    );
    const second = await client.get(`/v1/batches?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(
      second.body.items.map((b: { id: string }) => b.id),
      [ids[0]],
    );
    assert.equal(second.body.nextCursor, null);
    assert.equal((await client.get(`/v1/batches/${ids[1]}`)).body.rows, 1);
  });
});

await eachDialect(describe, 'batches: limits', (dialect) => {
  let h: Harness;
  let client: ReturnType<typeof batchClient>;
  beforeEach(async () => {
    h = await createHarness(dialect, { batchMaxRows: 5, batchMaxBytes: 2048 });
    const account = await h.account();
    client = batchClient(await h.app.listen({ port: 0, host: '127.0.0.1' }), account.key);
  });
  afterEach(() => h.close());

  test('over the row limit or the byte limit: 413, nothing stored or charged', async () => {
    const codes = (n: number) => `codice\n${Array.from({ length: n }, () => REZZOAGLIO).join('\n')}\n`;
    assert.equal((await client.upload(codes(5), 'text/csv')).status, 202, 'at the limit');
    isProblem(await client.upload(codes(6), 'text/csv'), 413, 'payload_too_large');
    isProblem(await client.upload(JSON.stringify(Array.from({ length: 6 }, () => UNKNOWN)), 'application/json'), 413, 'payload_too_large');
    // Declared too large: refused before reading.
    isProblem(await client.call('POST', '/v1/batches', { type: 'text/csv', body: 'x'.repeat(3000) }), 413, 'payload_too_large');
    // Streamed without a length: refused when the count passes the limit.
    const long = `codice,nota\n${UNKNOWN},${'n'.repeat(3000)}\n`;
    isProblem(await client.call('POST', '/v1/batches', { type: 'text/csv', body: streamOf(long, 512) }), 413, 'payload_too_large');
    const batches = await h.store.db.selectFrom('batches').select('id').execute();
    assert.equal(batches.length, 1);
    assert.equal((await h.store.db.selectFrom('batch_rows').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n, 5);
  });
});
