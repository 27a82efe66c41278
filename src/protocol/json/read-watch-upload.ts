import type { Readable } from 'node:stream';
import { BatchError } from '../../batches/batch-error.ts';
import { tabulate } from '../../batches/batch-table.ts';
import { limitedInput } from '../../batches/limit-bytes.ts';
import { readCsvBatch } from '../../batches/parse-batch-csv.ts';
import { readXlsxBatch } from '../../batches/parse-batch-xlsx.ts';
import type { Rejected } from '../../watches/add-watches.ts';

export interface WatchUpload {
  format: 'csv' | 'xlsx';
  body: Readable;
  /** The header of the code column; detected as for batches when absent. */
  column?: string;
  maxBytes: number;
  maxRows: number;
  maxInflatedBytes?: number;
}

/**
 * The codes of a CSV or XLSX file for POST /v1/watches, read with the batch parsers and their
 * code-column detection. A row the parser refuses (a cell too long) is rejected here; the codes
 * themselves are checked by addWatches. Fails with a BatchError past maxBytes or maxRows, or
 * when the file has no rows.
 */
export async function readWatchUpload(u: WatchUpload): Promise<{ inputs: string[]; rejected: Rejected[] }> {
  const upload = limitedInput(u.body, u.maxBytes);
  const table =
    u.format === 'xlsx' ? await tabulate(readXlsxBatch(upload, u.maxInflatedBytes), u.column) : await tabulate((await readCsvBatch(upload)).rows, u.column);
  const inputs: string[] = [];
  const rejected: Rejected[] = [];
  let rows = 0;
  for await (const row of table.rows) {
    if (++rows > u.maxRows) throw new BatchError('too_large', `the upload has more than ${u.maxRows} rows`);
    if (row.error) rejected.push({ input: row.codeText.slice(0, 40), reason: 'missing', message: row.error });
    else inputs.push(row.codeText);
  }
  if (rows === 0) throw new BatchError('invalid', 'the upload has no rows');
  return { inputs, rejected };
}
