import { stringify } from 'csv-stringify/sync';
import type { UsageStatement } from './usage-statement.ts';

/** Who the statement is made out to: labelled lines above the table (src/accounts/billing-details.ts). */
export type StatementHeader = readonly (readonly [label: string, value: string | null])[];

const KIND = { charge: 'addebito', refund: 'rimborso', search: 'ricerca per nome' } as const;

/** Euro with a decimal comma, as Italian spreadsheets read numbers. */
export function euroIt(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')}`;
}

/** Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with an apostrophe. */
export function cell(text: string | null): string {
  if (text === null) return '';
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * A usage statement as CSV for a spreadsheet: `;` between fields, a decimal comma, a UTF-8 BOM
 * (so Excel reads accents right), one row per charge or refund; times in UTC ISO 8601. With a
 * `header` (an account's billing details), its lines come first, then the month, then an empty
 * line, then the table; without one the file starts with the table, as before.
 */
export function statementCsv(statement: UsageStatement, header: StatementHeader = []): string {
  const columns = ['data', 'tipo', 'richiesta', 'codice', 'riferimento', 'importo_centesimi', 'importo_euro'];
  const rows = statement.rows.map((r) => [
    new Date(r.at).toISOString(),
    // A charge of no request says what it was for (a watch's month), the others their kind.
    r.reason ? cell(r.reason) : KIND[r.kind],
    r.requestId ?? '',
    cell(r.code),
    cell(r.reference),
    String(r.amountCents),
    euroIt(r.amountCents),
  ]);
  const block = header.length > 0 ? [...header.map(([label, value]) => [label, cell(value)]), ['mese', statement.month], []] : [];
  return '\ufeff' + stringify([...block, columns, ...rows], { delimiter: ';', record_delimiter: '\r\n' });
}
