/**
 * Why an upload was refused as a whole: `too_large` (over the row or byte limit: 413) or
 * `invalid` (unreadable file, no column of codes, no rows: 400). Invalid rows are not errors:
 * they are stored and reported.
 *
 * The message is the problem's `detail`: written for the customer, never the text of an
 * exception from a parser or the runtime ("Cannot read properties of undefined", "Maximum call
 * stack size exceeded" told an attacker which library broke and how). `reason` is a stable code.
 */
export class BatchError extends Error {
  constructor(
    readonly kind: 'too_large' | 'invalid',
    message: string,
    readonly reason: BatchErrorReason = kind === 'too_large' ? 'too_large' : 'invalid',
  ) {
    super(message);
    this.name = 'BatchError';
  }
}

export type BatchErrorReason = 'too_large' | 'invalid' | 'unreadable_xlsx' | 'unreadable_csv' | 'unreadable_json' | 'nested_too_deep';

/** What each format's readers say when a file breaks them in a way they do not name themselves. */
const UNREADABLE = {
  xlsx: 'unreadable XLSX workbook: the file is damaged or is not an Excel workbook (.xlsx)',
  csv: 'unreadable CSV file',
  json: 'invalid JSON: the upload must be an array of codes or of objects with a "code" field',
} as const;

/** csv-parse's error codes worth telling apart; the rest say "unreadable CSV file". */
const CSV_REASONS: Record<string, string> = {
  CSV_MAX_RECORD_SIZE: 'a CSV record is over 64 KiB (is a quote left open?)',
  CSV_QUOTE_NOT_CLOSED: 'a quote is opened and never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a quote is closed in the middle of a field',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters after a closing quote',
};

/**
 * Parser failures become `invalid` with a fixed message for the format (a known csv-parse code
 * names the problem); our own refusals pass through unchanged.
 */
export function asBatchError(error: unknown, format: keyof typeof UNREADABLE): BatchError {
  if (error instanceof BatchError) return error;
  const known = format === 'csv' ? CSV_REASONS[(error as { code?: string } | null)?.code ?? ''] : undefined;
  return new BatchError('invalid', known ? `${UNREADABLE.csv}: ${known}` : UNREADABLE[format], `unreadable_${format}`);
}
