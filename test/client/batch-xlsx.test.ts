import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { clientOk, expectedFor, generatedCodes, SAMPLE, startClientFixture, type ClientFixture } from './client-fixture.ts';

const TIMEOUT = { timeout: 300_000 };

/** All rows of the first sheet as arrays of cell values (column 1 at index 0). */
async function readSheet(path: string): Promise<{ name: string; rows: unknown[][] }> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const sheet = workbook.worksheets[0];
  const rows: unknown[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const values: unknown[] = [];
    for (let c = 1; c <= sheet.columnCount; c++) values.push(row.getCell(c).value ?? '');
    rows.push(values);
  });
  return { name: sheet.name, rows };
}

describe('cercapec client batch: xlsx in, xlsx out', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('xlsx');
  });
  after(async () => {
    await fx?.close();
  });

  test('a code column stored as text and one stored as numbers (leading zeros lost) both resolve', TIMEOUT, async () => {
    // Sample codes with leading zeros: as numbers they lose one or two digits.
    const withZeros = [...SAMPLE.keys()].filter((c) => c.startsWith('0')).slice(0, 6);
    const others = [...SAMPLE.keys()].filter((c) => !c.startsWith('0')).slice(0, 3);
    const [absent] = generatedCodes(1, 5);
    const codes = [...withZeros, ...others, absent];
    const input = join(fx.tmp, 'clienti.xlsx');

    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Clienti');
    sheet.addRow(['Ragione sociale', 'P.IVA testo', 'P.IVA numero', 'Importo', 'Data']);
    codes.forEach((code, i) => {
      sheet.addRow([`Cliente ${i}`, code, Number(code), 100 + i / 4, new Date(Date.UTC(2024, 0, i + 1))]);
    });
    sheet.addRow(['Cliente senza codice', '123', 123, 1, new Date(Date.UTC(2024, 5, 1))]);
    await workbook.xlsx.writeFile(input);

    // Default: the first column of mostly valid codes, the text one.
    const output = join(fx.tmp, 'clienti-pec.xlsx');
    const result = await clientOk(['batch', input, '-o', output], fx.env);
    assert.match(result.stdout, /11 rows, 9 found, 1 not found, 1 invalid, 0 errors/);
    const out = await readSheet(output);
    assert.equal(out.name, 'Clienti');
    assert.deepEqual(out.rows[0], ['Ragione sociale', 'P.IVA testo', 'P.IVA numero', 'Importo', 'Data', 'pec', 'stato', 'fonte', 'errore']);
    codes.forEach((code, i) => {
      const [name, text, number, amount, date, pec, stato, fonte, errore] = out.rows[i + 1];
      const expected = expectedFor(code);
      assert.equal(name, `Cliente ${i}`);
      assert.equal(text, code, 'the text column keeps its leading zeros, as a string');
      assert.equal(number, Number(code), 'the number column stays a number');
      assert.equal(amount, 100 + i / 4);
      assert.equal(date, new Date(Date.UTC(2024, 0, i + 1)).toISOString().slice(0, 10), 'dates come back as ISO text');
      assert.deepEqual({ pec: pec || '', stato, errore: errore || '' }, { ...expected, errore: '' });
      assert.ok(fonte);
    });
    const last = out.rows[codes.length + 1];
    assert.equal(last[6], 'non valido');
    assert.match(String(last[8]), /^Codice fiscale non valido: lunghezza errata/);

    // --column on the number column: 138020078 is padded back to 00138020078 because that is
    // valid; 123 is not padded into anything.
    // These codes were requested by the run above: over the text protocol a run with another
    // state file would report them "già richiesta" (it cannot fetch an existing request's
    // answer, and never buys again unasked); the JSON API returns the existing lookups.
    const json = { ...fx.env, CERCAPEC_PROTOCOL: 'json' };
    const byNumber = join(fx.tmp, 'clienti-numeri.xlsx');
    await clientOk(['batch', input, '-o', byNumber, '--column', 'P.IVA numero'], json);
    const numbered = await readSheet(byNumber);
    codes.forEach((code, i) => {
      const row = numbered.rows[i + 1];
      assert.deepEqual({ pec: row[5] || '', stato: row[6] }, expectedFor(code), `row ${i + 2}, code ${code} stored as ${Number(code)}`);
    });
    assert.equal(numbered.rows[codes.length + 1][6], 'non valido');

    // xlsx in, CSV out: the same rows.
    const csvOut = join(fx.tmp, 'clienti.csv');
    const csv = await clientOk(['batch', input, '-o', csvOut], json);
    assert.match(csv.stdout, /11 rows, 9 found, 1 not found, 1 invalid/);
  });
});
