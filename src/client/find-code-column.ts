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
 * Header spellings of a code column, compared without case, accents, spaces or punctuation:
 * "partita_iva", "P. IVA", "p_iva", "Codice Fiscale", "C.F.", "cod_fiscale", "VAT number"...
 */
const CODE_HEADER_WORDS = ['partitaiva', 'piva', 'codicefiscale', 'codfiscale', 'codfisc'];
const CODE_HEADERS = new Set(['cf', 'vat', 'vatno', 'vatnumber', 'vatcode', 'vatid', 'taxcode', 'taxid', 'fiscalcode', 'partiva', 'pi', 'cfpi', 'picf']);

/** Whether a header names a column of codici fiscali / partite IVA. */
export function isCodeHeader(header: string): boolean {
  const key = header
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  return CODE_HEADERS.has(key) || CODE_HEADER_WORDS.some((word) => key.includes(word));
}

/**
 * The column holding the codes: the one named by --column (exact name, then ignoring case and
 * surrounding spaces); else a column whose header is one of the usual spellings (when several
 * are, the one with the most valid codes; when none of them holds a valid code and another
 * column is mostly codes, that one); else the first column where most non-empty values (over
 * half of the first 500 rows) are valid codici fiscali / partite IVA. A header says more than a
 * majority in a small file: two rows, one a typo, are still a column of codes.
 */
export function findCodeColumn(table: InputTable, file: string, named?: string): number {
  const list = table.columns.map((c) => JSON.stringify(c)).join(', ');
  if (named !== undefined) {
    let at = table.columns.indexOf(named);
    if (at < 0) at = table.columns.findIndex((c) => c.trim().toLowerCase() === named.trim().toLowerCase());
    if (at < 0) throw new ClientError(ClientErrorCode.columnNotFound, `${file}: no column named ${JSON.stringify(named)}; the columns are ${list}`);
    return at;
  }
  if (table.rows.length === 0) throw new ClientError(ClientErrorCode.noCodeColumn, `${file}: no data rows`);
  const counts = table.columns.map((_, column) => countCodes(table, column));
  const byContent = counts.findIndex(({ filled, valid }) => filled > 0 && valid * 2 > filled);
  const byName = table.columns.flatMap((header, column) => (isCodeHeader(header) ? [column] : []));
  if (byName.length > 0) {
    const best = byName.reduce((a, b) => (counts[b].valid > counts[a].valid ? b : a));
    if (counts[best].valid > 0 || byContent < 0) return best;
  }
  if (byContent >= 0) return byContent;
  throw new ClientError(ClientErrorCode.noCodeColumn, `${file}: no column of codici fiscali / partite IVA found (columns: ${list}); name it with --column`);
}

/** Non-empty values and valid codes among the first SAMPLE_ROWS rows of a column. */
function countCodes(table: InputTable, column: number): { filled: number; valid: number } {
  const sample = Math.min(table.rows.length, SAMPLE_ROWS);
  let filled = 0;
  let valid = 0;
  for (let row = 0; row < sample; row++) {
    const value = codeAt(table, row, column);
    if (value.trim() === '') continue;
    filled++;
    if (validateTaxId(value).valid) valid++;
  }
  return { filled, valid };
}
