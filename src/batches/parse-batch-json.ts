import type { Readable } from 'node:stream';
import type { Table, TableRow } from './batch-table.ts';
import { addColumn, MAX_CELL_CHARS } from './batch-table.ts';
import { repadNumericCode } from '../taxid/repad-code.ts';
import { jsonArrayElements } from './json-array-elements.ts';
import { asBatchError } from './batch-error.ts';

const CODE = 'code';
const NOT_A_ROW = 'elemento non valido: atteso un codice o un oggetto con il campo "code"';

/**
 * A JSON upload as a Table: `["82003050109", ...]` or `[{"code": "82003050109", "ref": 7}, ...]`.
 * The codes are in `code` (column 0); an object's other fields become columns in the order they
 * first appear. Numbers are read as numeric spreadsheet cells are (leading zeros re-padded when
 * that gives a valid code). Elements of another kind are invalid rows, not a refused upload.
 */
export function readJsonBatch(input: Readable): Table {
  const columns = [CODE];
  const index = new Map([[CODE, 0]]);
  async function* rows(): AsyncGenerator<TableRow> {
    try {
      for await (const element of jsonArrayElements(input)) yield toRow(element, columns, index);
    } catch (error) {
      throw asBatchError(error, 'json');
    }
  }
  return { columns, codeColumn: CODE, rows: rows() };
}

function toRow(element: unknown, columns: string[], index: Map<string, number>): TableRow {
  if (typeof element === 'string') return { cells: [cut(element)], codeText: element };
  if (typeof element === 'number') return { cells: [numberText(element)], codeText: repadNumericCode(numberText(element)) };
  if (element === null || typeof element !== 'object' || Array.isArray(element)) {
    return { cells: [cut(JSON.stringify(element) ?? '')], codeText: '', error: NOT_A_ROW };
  }
  const cells: string[] = [];
  for (const [key, value] of Object.entries(element)) {
    let at = index.get(key);
    if (at === undefined) {
      at = addColumn(columns, key.slice(0, 200));
      index.set(key, at);
    }
    while (cells.length < at) cells.push('');
    cells[at] = cut(valueText(value));
  }
  const code = (element as Record<string, unknown>)[CODE];
  const codeText = typeof code === 'number' ? repadNumericCode(numberText(code)) : typeof code === 'string' ? code : '';
  return { cells, codeText };
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function numberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value);
}

function cut(text: string): string {
  return text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) : text;
}
