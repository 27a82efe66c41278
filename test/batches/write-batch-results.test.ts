import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { stringify } from 'csv-stringify/sync';
import { tableHeader, writeResults } from '../../src/batches/write-batch-results.ts';
import { defuseFormula } from '../../src/security/defuse-formula.ts';
import type { ResultRow } from '../../src/batches/batch-results.ts';

/**
 * The results CSV is written by hand, a page at a time (write-batch-results.ts): byte for byte
 * what csv-stringify writes, on cells that need quoting.
 */
describe('results CSV', () => {
  const cells = ['plain', '', 'a,b', 'a;b', 'say "hi"', 'two\nlines', 'cr\rhere', 'crlf\r\n', '"', ',', ';', '=1+1', ' spaced ', 'àèìòù €'];
  const rows: ResultRow[] = cells.map((c, i) => ({
    row: i + 1,
    input: [c, `${c}x`],
    code: '00743110157',
    status: 'found',
    pec: c,
    addresses: [c, 'second@pec.example.it'],
    source: 'directory',
    error: i % 2 ? c : null,
  }));
  async function* pages() {
    yield rows.slice(0, 5);
    yield rows.slice(5);
  }

  for (const delimiter of [',', ';']) {
    test(`the same bytes as csv-stringify, delimiter ${delimiter}`, async () => {
      const columns = ['first', 'code'];
      const written = await text(writeResults('csv', { columns, pages: pages(), delimiter }));
      const records = [
        tableHeader(columns),
        ...rows.map((r) => [...r.input, r.code ?? '', r.status, r.pec ?? '', r.addresses.join(';'), r.source ?? '', r.error ?? '']),
      ];
      // The formulas are defused before either writer sees them.
      const defused = records.map((r) => r.map(defuseFormula));
      // quote_record_delimiter: a lone CR or LF is quoted too (csv-stringify leaves it bare when
      // the record delimiter is CRLF, and a reader that ends records at either split the row).
      assert.equal(written, `\ufeff${stringify(defused, { delimiter, record_delimiter: 'windows', quote_record_delimiter: true })}`);
    });
  }
});
