import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assertNoStack, clientOk, countRequests, expectedFor, generatedCodes, SAMPLE, startClientFixture, type ClientFixture } from './client-fixture.ts';

const TIMEOUT = { timeout: 600_000 };
const ROWS = 10_000;

interface Row {
  id: string;
  ragione: string;
  piva: string;
  /** The normalised code, or null for a row the local check must refuse. */
  code: string | null;
}

/**
 * 10,000 rows: every sample code, generated valid codes (a third with leading zeros), one row in
 * 50 invalid, one in 10 a repeat of an earlier code, some written "IT 0…" or lower-case.
 */
function buildRows(): Row[] {
  const fresh = [...SAMPLE.keys(), ...generatedCodes(8_000, 42)];
  const rows: Row[] = [];
  const invalid = ['123', '00000000000', '12345678901', 'RSSMRA85T10A562X', '', 'N/D'];
  let next = 0;
  for (let i = 0; i < ROWS; i++) {
    const id = String(i + 1).padStart(5, '0');
    if (i % 50 === 49) {
      rows.push({ id, ragione: `Ditta à ${i}`, piva: invalid[i % invalid.length], code: null });
    } else if (i % 10 === 9 && next > 0) {
      const code = rows[(i * 7919) % rows.length].code ?? fresh[0];
      rows.push({ id, ragione: `Società ${i}`, piva: i % 20 === 19 ? `IT ${code}` : code, code });
    } else {
      const code = fresh[next++ % fresh.length];
      rows.push({ id, ragione: `Ente «${i}»; sede "centrale"`, piva: code, code });
    }
  }
  return rows;
}

function csvCell(value: string): string {
  return /[;"\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

describe('cercapec client batch: a 10,000-row CSV end to end', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('csv');
  });
  after(async () => {
    await fx?.close();
  });

  test('every row answered correctly, in input order, every input column kept; each distinct code submitted once', TIMEOUT, async () => {
    const rows = buildRows();
    const input = join(fx.tmp, 'fornitori.csv');
    const output = join(fx.tmp, 'fornitori-pec.csv');
    const lines = ['id;ragione sociale;partita iva', ...rows.map((r) => [r.id, r.ragione, r.piva].map(csvCell).join(';'))];
    await writeFile(input, `\ufeff${lines.join('\r\n')}\r\n`);

    const result = await clientOk(['batch', input, '-o', output, '--concurrency', '16', '--progress-every', '2'], fx.env, { timeoutMs: 540_000 });
    assertNoStack(result);
    assert.match(result.stderr, /progress: \d+\/10000 answered, \d+ errors/);
    assert.match(result.stderr, /progress: 10000\/10000 answered, 200 errors/);

    const text = await readFile(output, 'utf8');
    assert.ok(text.startsWith('\ufeff'), 'UTF-8 with BOM');
    const out = parse(text, { bom: true, delimiter: ';', columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(out[0]), ['id', 'ragione sociale', 'partita iva', 'pec', 'stato', 'fonte', 'errore']);
    assert.equal(out.length, ROWS);

    const wrong: unknown[] = [];
    rows.forEach((row, i) => {
      const got = out[i];
      const expected = row.code === null ? { stato: 'non valido', pec: '' } : expectedFor(row.code);
      const ok =
        got.id === row.id &&
        got['ragione sociale'] === row.ragione &&
        got['partita iva'] === row.piva &&
        got.stato === expected.stato &&
        got.pec === expected.pec &&
        (row.code === null ? /^Codice fiscale non valido: /.test(got.errore) && got.fonte === 'validazione locale' : got.errore === '' && got.fonte !== '');
      if (!ok) wrong.push({ line: i + 2, row, got });
    });
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} rows wrong`);
    assert.ok(
      out.some((r) => r['partita iva'].startsWith('00') && r.stato === 'non trovata'),
      'leading zeros kept',
    );
    assert.ok(out.some((r) => r.stato === 'trovata'));

    const distinct = new Set(rows.flatMap((r) => (r.code === null ? [] : [r.code])));
    const requests = await countRequests(fx.dataDir);
    assert.equal(requests.total, distinct.size, 'one request per distinct valid code: duplicates submitted once, invalid rows never');
    assert.equal(requests.liveCodes, distinct.size);
    assert.match(result.stdout, new RegExp(`\\(${distinct.size} codes submitted by this run\\)`));

    // Run again: everything is in the state file, nothing is sent.
    const again = await clientOk(['batch', input, '-o', output], fx.env);
    assert.match(again.stdout, /\(0 codes submitted by this run\)/);
    assert.equal((await countRequests(fx.dataDir)).total, distinct.size);
    assert.equal(await readFile(output, 'utf8'), text);
  });

  test('Windows-1252 input with commas is read, accents included', TIMEOUT, async () => {
    const [code] = [...SAMPLE.keys()];
    const input = join(fx.tmp, 'latin.csv');
    const output = join(fx.tmp, 'latin-out.csv');
    await writeFile(input, Buffer.from(`città,codice\r\nGenova è bella,${code}\r\n`, 'latin1'));
    // The code was requested by the test above: the JSON API returns that lookup, where the text
    // protocol could only report it "già richiesta".
    await clientOk(['batch', input, '-o', output], { ...fx.env, CERCAPEC_PROTOCOL: 'json' });
    const out = parse(await readFile(output, 'utf8'), { bom: true, delimiter: ',', columns: true }) as Record<string, string>[];
    assert.deepEqual(out, [{ città: 'Genova è bella', codice: code, pec: SAMPLE.get(code)![0], stato: 'trovata', fonte: out[0].fonte, errore: '' }]);
  });
});
