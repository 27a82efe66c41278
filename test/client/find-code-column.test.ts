import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeAt, findCodeColumn, isCodeHeader } from '../../src/client/find-code-column.ts';
import { cellKey, type InputTable } from '../../src/client/input-table.ts';
import { repadNumericCode } from '../../src/taxid/repad-code.ts';
import { isClientError } from '../../src/client/client-error.ts';

function table(columns: string[], rows: string[][], numeric: Array<[number, number]> = []): InputTable {
  return { format: 'xlsx', columns, rows, numericCells: new Set(numeric.map(([r, c]) => cellKey(r, c))) };
}

test('repadNumericCode: zeros back only when the padded code is valid', () => {
  assert.equal(repadNumericCode('138020078'), '00138020078');
  assert.equal(repadNumericCode('1394590010'), '01394590010');
  assert.equal(repadNumericCode('1394590011'), '1394590011', 'check digit wrong once padded: left alone');
  assert.equal(repadNumericCode('123'), '123');
  assert.equal(repadNumericCode('82003050109'), '82003050109');
});

test('findCodeColumn: --column by name (case-insensitive), else the first column of mostly valid codes', () => {
  const t = table(
    ['id', 'note', 'P.IVA'],
    [
      ['1', 'x', '00743110157'],
      ['2', '00743110157', '82003050109'],
      ['3', 'y', 'NON VALIDO'],
    ],
  );
  assert.equal(findCodeColumn(t, 'f.csv'), 2);
  assert.equal(findCodeColumn(t, 'f.csv', 'note'), 1);
  assert.equal(findCodeColumn(t, 'f.csv', ' p.iva '), 2);
  assert.throws(
    () => findCodeColumn(t, 'f.csv', 'cf'),
    (e) => isClientError(e, 'column_not_found'),
  );
  assert.throws(
    () => findCodeColumn(table(['a'], [['x'], ['y']]), 'f.csv'),
    (e) => isClientError(e, 'no_code_column'),
  );
});

test('codeAt pads only cells that were numbers', () => {
  const t = table(['n', 't'], [['138020078', '138020078']], [[0, 0]]);
  assert.equal(codeAt(t, 0, 0), '00138020078');
  assert.equal(codeAt(t, 0, 1), '138020078');
  assert.equal(findCodeColumn(t, 'f.xlsx'), 0);
});

test('isCodeHeader: the usual spellings of a code column, and not other columns', () => {
  for (const header of [
    'partita_iva',
    'Partita IVA',
    'p_iva',
    'P.IVA',
    'p. iva',
    'piva',
    'PIVA',
    'codice_fiscale',
    'Codice Fiscale',
    'codice fiscale',
    'CF',
    'c.f.',
    'Cod. Fiscale',
    'cod_fisc',
    'VAT',
    'vat number',
    'Codice fiscale / Partita IVA',
    'P.IVA/C.F.',
    'Partita Iva Cliente',
  ]) {
    assert.ok(isCodeHeader(header), header);
  }
  for (const header of ['nome', 'ragione sociale', 'id', 'indirizzo', 'pec', 'email', 'note', 'comune', 'cap']) assert.ok(!isCodeHeader(header), header);
});

test('findCodeColumn: a small file is read by its header when its values are too few to be sure', () => {
  // Issue #17: two rows, one with a typo, were refused ("no column of codici fiscali").
  const small = table(
    ['ragione sociale', 'partita_iva'],
    [
      ['Alfa S.r.l.', '00743110157'],
      ['Beta S.p.A.', '0074311015X'],
    ],
  );
  assert.equal(findCodeColumn(small, 'f.csv'), 1);
  for (const header of ['p_iva', 'piva', 'codice_fiscale', 'cf', 'vat', 'codice fiscale', 'p.iva']) {
    assert.equal(
      findCodeColumn(
        table(
          ['nome', header],
          small.rows.map((r) => [r[0], r[1]]),
        ),
        'f.csv',
      ),
      1,
      header,
    );
  }
  // Only typos under the header, and no other column of codes: still that column (each row then says why).
  assert.equal(
    findCodeColumn(
      table(
        ['nome', 'P.IVA'],
        [
          ['a', '123'],
          ['b', ''],
        ],
      ),
      'f.csv',
    ),
    1,
  );
  // In doubt, the content decides: a "cf" column of something else, codes in an unnamed one.
  const mislabelled = table(
    ['cf', 'codice'],
    [
      ['x1', '00743110157'],
      ['x2', '82003050109'],
    ],
  );
  assert.equal(findCodeColumn(mislabelled, 'f.csv'), 1);
  // Two named columns: the one holding codes.
  const two = table(
    ['codice fiscale', 'partita iva'],
    [
      ['', '00743110157'],
      ['', '82003050109'],
    ],
  );
  assert.equal(findCodeColumn(two, 'f.csv'), 1);
  assert.throws(
    () => findCodeColumn(table(['partita_iva'], []), 'f.csv'),
    (e) => isClientError(e, 'no_code_column') && /no data rows/.test((e as Error).message),
  );
});
