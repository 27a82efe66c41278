import type { CellValue } from 'exceljs';

/**
 * The text of an xlsx cell value, and whether it was a number. Not `cell.text`: that prints
 * dates with Date#toString ("Tue Mar 05 2024 01:00:00 GMT+0100") and formulas as "[object Object]"
 * in the streaming reader.
 */
export function cellText(value: CellValue): { text: string; numeric: boolean } {
  if (value === null || value === undefined) return { text: '', numeric: false };
  if (typeof value === 'number') return { text: numberText(value), numeric: true };
  if (typeof value === 'string') return { text: value, numeric: false };
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE', numeric: false };
  if (value instanceof Date) return { text: dateText(value), numeric: false };
  if ('richText' in value) return { text: value.richText.map((r) => r.text).join(''), numeric: false };
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: CellValue }).result ?? null);
  if ('error' in value) return { text: String(value.error), numeric: false };
  if ('text' in value) return { text: String((value as { text: unknown }).text), numeric: false };
  return { text: '', numeric: false };
}

// Integers up to 15 digits print in full (String(12345678901) is fine, but 1e21 would not be).
function numberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value);
}

// Excel dates have no time zone: exceljs returns them as UTC instants.
function dateText(value: Date): string {
  const iso = value.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
}
