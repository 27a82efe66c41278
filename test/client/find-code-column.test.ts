import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeAt, findCodeColumn } from '../../src/client/find-code-column.ts';
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
  const t = table(['id', 'note', 'P.IVA'], [
    ['1', 'x', '00743110157'],
    ['2', '00743110157', '82003050109'],
    ['3', 'y', 'NON VALIDO'],
  ]);
  assert.equal(findCodeColumn(t, 'f.csv'), 2);
  assert.equal(findCodeColumn(t, 'f.csv', 'note'), 1);
  assert.equal(findCodeColumn(t, 'f.csv', ' p.iva '), 2);
  assert.throws(() => findCodeColumn(t, 'f.csv', 'cf'), (e) => isClientError(e, 'column_not_found'));
  assert.throws(() => findCodeColumn(table(['a'], [['x'], ['y']]), 'f.csv'), (e) => isClientError(e, 'no_code_column'));
});

test('codeAt pads only cells that were numbers', () => {
  const t = table(['n', 't'], [['138020078', '138020078']], [[0, 0]]);
  assert.equal(codeAt(t, 0, 0), '00138020078');
  assert.equal(codeAt(t, 0, 1), '138020078');
  assert.equal(findCodeColumn(t, 'f.xlsx'), 0);
});
