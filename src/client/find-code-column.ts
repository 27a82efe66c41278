import { validateTaxId } from '../taxid/index.ts';
import { ClientError, ClientErrorCode } from './client-error.ts';
import { isNumericCell, type InputTable } from './input-table.ts';
import { repadNumericCode } from '../taxid/repad-code.ts';

/** Rows looked at per column when guessing: enough to tell, cheap on a 100,000-row file. */
const SAMPLE_ROWS = 500;

/** The code as the cell holds it; a number cell gets its lost leading zeros back (repad-code.ts). */
export function codeAt(table: InputTable, row: number, column: number): string {
  const text = table.rows[row]?.[column] ?? '';
  return isNumericCell(table, row, column) ? repadNumericCode(text) : text;
}

/**
 * The column holding the codes: the one named by --column (exact name, then ignoring case and
 * surrounding spaces), else the first column where most non-empty values (over half of the
 * first 500 rows) are valid codici fiscali / partite IVA.
 */
export function findCodeColumn(table: InputTable, file: string, named?: string): number {
  const list = table.columns.map((c) => JSON.stringify(c)).join(', ');
  if (named !== undefined) {
    let at = table.columns.indexOf(named);
    if (at < 0) at = table.columns.findIndex((c) => c.trim().toLowerCase() === named.trim().toLowerCase());
    if (at < 0) throw new ClientError(ClientErrorCode.columnNotFound, `${file}: no column named ${JSON.stringify(named)}; the columns are ${list}`);
    return at;
  }
  const sample = Math.min(table.rows.length, SAMPLE_ROWS);
  for (let column = 0; column < table.columns.length; column++) {
    let filled = 0;
    let valid = 0;
    for (let row = 0; row < sample; row++) {
      const value = codeAt(table, row, column);
      if (value.trim() === '') continue;
      filled++;
      if (validateTaxId(value).valid) valid++;
    }
    if (filled > 0 && valid * 2 > filled) return column;
  }
  throw new ClientError(
    ClientErrorCode.noCodeColumn,
    table.rows.length === 0
      ? `${file}: no data rows`
      : `${file}: no column of codici fiscali / partite IVA found (columns: ${list}); name it with --column`,
  );
}
