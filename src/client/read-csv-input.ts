import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ClientError, ClientErrorCode } from './client-error.ts';
import { decodeText, detectDelimiter } from './decode-text.ts';

export interface RawCsv {
  rows: string[][];
  delimiter: string;
}

/** Every row of a CSV file as strings (no type casting: 00743110157 keeps its zeros). */
export async function readCsvRows(path: string): Promise<RawCsv> {
  const { text } = decodeText(await readFile(path));
  const delimiter = detectDelimiter(text);
  try {
    const rows = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as string[][];
    return { rows, delimiter };
  } catch (error) {
    throw new ClientError(ClientErrorCode.fileUnreadable, `cannot read ${path} as CSV: ${(error as Error).message}`);
  }
}
