import { validateTaxId } from '../taxid/index.ts';
import { repadNumericCode } from '../taxid/repad-code.ts';
import { BatchError } from './batch-error.ts';

/** One row as a parser reads it: its cells as text. */
export interface RawRow {
  cells: string[];
  /** Indexes of cells that held numbers (XLSX numeric cells, JSON numbers): see repadNumericCode. */
  numeric?: readonly number[];
  /** The row cannot hold a code at all (e.g. a JSON element that is neither a string nor an object). */
  error?: string;
}

/** A data row with the text of its code cell picked out. */
export interface TableRow {
  cells: string[];
  codeText: string;
  error?: string;
}

/**
 * An upload as rows of named columns, one of them holding the codes. `columns` may grow while
 * `rows` is read (a longer row, a JSON object with a new key): it is complete once they are.
 */
export interface Table {
  columns: string[];
  codeColumn: string;
  rows: AsyncIterable<TableRow>;
}

/** Data rows looked at to decide whether there is a header and which column holds codes. */
const SAMPLE_ROWS = 100;
/** Longest cell kept: longer text is cut (the byte limit bounds the upload, this bounds a row). */
export const MAX_CELL_CHARS = 2000;
export const MAX_COLUMNS = 200;

/**
 * CSV and XLSX rows to a Table. The first non-blank row is the header unless one of its cells
 * is a valid code (a bare list of codes): then columns are named column_1, column_2, ...
 * With `wanted`, the header is required and the codes are in the column of that name (case and
 * surrounding spaces ignored); without it, in the first column whose non-empty cells, among the
 * first 100 data rows, are mostly (over half) valid codes. Blank rows are skipped.
 */
export async function tabulate(rows: AsyncIterable<RawRow>, wanted?: string): Promise<Table> {
  const iterator = rows[Symbol.asyncIterator]();
  try {
    return await tabulateFrom(iterator, wanted);
  } catch (error) {
    // The source is closed when it will not be read to its end (an XLSX reader removes its temporary files then).
    void iterator.return?.().catch(() => {});
    throw error;
  }
}

async function tabulateFrom(iterator: AsyncIterator<RawRow>, wanted: string | undefined): Promise<Table> {
  const sample: RawRow[] = [];
  let exhausted = false;
  while (sample.length <= SAMPLE_ROWS) {
    const next = await iterator.next();
    if (next.done) {
      exhausted = true;
      break;
    }
    if (next.value.cells.some((c) => c.trim() !== '')) sample.push(next.value);
  }
  if (sample.length === 0) throw new BatchError('invalid', 'the upload has no rows');
  const hasHeader = wanted !== undefined || !sample[0].cells.some((_, i) => isCode(sample[0], i));
  const columns = hasHeader ? columnNames(sample[0].cells) : [];
  const data = hasHeader ? sample.slice(1) : sample;
  if (data.length === 0) throw new BatchError('invalid', 'the upload has a header but no rows');
  widen(columns, Math.max(...data.map((r) => r.cells.length)));
  const codeIndex = wanted !== undefined ? namedColumn(columns, wanted) : detectColumn(columns, data);

  async function* tableRows(): AsyncGenerator<TableRow> {
    let done = exhausted;
    try {
      for (const row of data) yield toTableRow(row, columns, codeIndex);
      while (!done) {
        const next = await iterator.next();
        if (next.done) done = true;
        else if (next.value.cells.some((c) => c.trim() !== '')) yield toTableRow(next.value, columns, codeIndex);
      }
    } finally {
      if (!done) void iterator.return?.().catch(() => {});
    }
  }
  return { columns, codeColumn: columns[codeIndex], rows: tableRows() };
}

function toTableRow(row: RawRow, columns: string[], codeIndex: number): TableRow {
  widen(columns, row.cells.length);
  const cells = row.cells.map((c) => (c.length > MAX_CELL_CHARS ? c.slice(0, MAX_CELL_CHARS) : c));
  return { cells, codeText: codeText(row, codeIndex), ...(row.error ? { error: row.error } : {}) };
}

function codeText(row: RawRow, index: number): string {
  const text = row.cells[index] ?? '';
  return row.numeric?.includes(index) ? repadNumericCode(text.trim()) : text;
}

function isCode(row: RawRow, index: number): boolean {
  return validateTaxId(codeText(row, index)).valid;
}

/** Trimmed header names; blanks become column_N and repeats get _2, _3 so every name is a key. */
export function columnNames(header: string[]): string[] {
  const names: string[] = [];
  header.forEach((raw, i) => {
    addColumn(names, raw.trim().slice(0, 200) || `column_${i + 1}`);
  });
  return names;
}

export function addColumn(columns: string[], name: string): number {
  let unique = name;
  for (let n = 2; columns.includes(unique); n++) unique = `${name}_${n}`;
  if (columns.length >= MAX_COLUMNS) throw new BatchError('invalid', `more than ${MAX_COLUMNS} columns`);
  columns.push(unique);
  return columns.length - 1;
}

function widen(columns: string[], width: number): void {
  while (columns.length < width) addColumn(columns, `column_${columns.length + 1}`);
}

function namedColumn(columns: string[], wanted: string): number {
  const key = wanted.trim().toLowerCase();
  const index = columns.findIndex((c) => c.toLowerCase() === key);
  if (index < 0) {
    const known = columns
      .slice(0, 20)
      .map((c) => JSON.stringify(c))
      .join(', ');
    throw new BatchError('invalid', `no column named ${JSON.stringify(wanted)}; the columns are ${known}`);
  }
  return index;
}

function detectColumn(columns: string[], data: RawRow[]): number {
  for (let i = 0; i < columns.length; i++) {
    const filled = data.filter((r) => (r.cells[i] ?? '').trim() !== '');
    const valid = filled.filter((r) => isCode(r, i)).length;
    if (filled.length > 0 && valid * 2 > filled.length) return i;
  }
  throw new BatchError('invalid', 'no column holds mostly valid codes: name it with ?column=');
}
