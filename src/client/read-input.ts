import { stat } from 'node:fs/promises';
import { validateTaxId } from '../taxid/index.ts';
import { ClientError, ClientErrorCode } from './client-error.ts';
import { fileFormatOf } from './file-format.ts';
import { cellKey, type InputTable } from './input-table.ts';
import { readCsvRows } from './read-csv-input.ts';
import { readXlsxRows } from './read-xlsx-input.ts';
import { repadNumericCode } from '../taxid/repad-code.ts';

/** Reads a .csv or .xlsx input file; the first row is the header unless it holds a valid code. */
export async function readInput(path: string): Promise<InputTable> {
  const format = fileFormatOf(path);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ClientError(ClientErrorCode.fileMissing, `${path} is not a file`);
  } catch (error) {
    if (error instanceof ClientError) throw error;
    throw new ClientError(ClientErrorCode.fileMissing, `input file not found: ${path}`);
  }
  if (format === 'csv') {
    const { rows, delimiter } = await readCsvRows(path);
    return { ...withHeader(rows, new Set()), format, delimiter };
  }
  const sheet = await readXlsxRows(path);
  const numeric = new Set(sheet.numeric.map(([r, c]) => cellKey(r, c)));
  return { ...withHeader(sheet.rows, numeric), format, sheetName: sheet.sheetName };
}

/**
 * Splits off the header. A first row that holds a valid code is data (a bare list of codes,
 * saved without a header): the columns are then named `colonna_1`, `colonna_2`, …
 */
function withHeader(all: string[][], numeric: Set<number>): Pick<InputTable, 'columns' | 'rows' | 'numericCells'> {
  const width = Math.max(0, ...all.map((r) => r.length));
  const first = all[0] ?? [];
  const headerless = first.some((cell, c) => validateTaxId(numeric.has(cellKey(0, c)) ? repadNumericCode(cell) : cell).valid);
  const names = Array.from({ length: width }, (_, c) => (headerless ? '' : (first[c] ?? '').trim()) || `colonna_${c + 1}`);
  if (headerless) return { columns: names, rows: all, numericCells: numeric };
  // Row indexes move up by one once the header is gone.
  const shifted = new Set<number>();
  for (const key of numeric) if (key >= cellKey(1, 0)) shifted.add(key - cellKey(1, 0));
  return { columns: names, rows: all.slice(1), numericCells: shifted };
}
