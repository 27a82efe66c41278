import type { Readable } from 'node:stream';
import { validateTaxId } from '../../taxid/index.ts';
import { readCsvBatch } from '../../batches/parse-batch-csv.ts';
import { readXlsxBatch } from '../../batches/parse-batch-xlsx.ts';
import { BatchError } from '../../batches/batch-error.ts';
import { columnNames, tabulate, type RawRow } from '../../batches/batch-table.ts';
import type { UploadCounts, UploadMeta } from './upload-store.ts';

/** Rows read for the preview: what tabulate samples to find the header and the code column. */
const SAMPLE_ROWS = 101;
export const PREVIEW_ROWS = 10;

export interface UploadPreview {
  columns: string[];
  /** The column holding the codes: the one asked for, or the detected one; null when none was found. */
  codeColumn: string | null;
  rows: string[][];
}

async function rawRows(body: Readable, format: UploadMeta['format'], maxInflatedBytes?: number): Promise<AsyncIterable<RawRow>> {
  return format === 'xlsx' ? readXlsxBatch(body, maxInflatedBytes) : (await readCsvBatch(body)).rows;
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/**
 * The first rows of a stored upload, read from its start and no further (the file is never
 * read whole for a preview), with its columns and the code column as the batch would take
 * them (tabulate over the same first rows). A file whose code column cannot be detected still
 * previews, without one, so the customer can pick it.
 */
export async function previewUpload(
  body: Readable,
  format: UploadMeta['format'],
  wanted: string | undefined,
  maxInflatedBytes?: number,
): Promise<UploadPreview> {
  const sample: RawRow[] = [];
  const rows = (await rawRows(body, format, maxInflatedBytes))[Symbol.asyncIterator]();
  try {
    while (sample.length < SAMPLE_ROWS) {
      const next = await rows.next();
      if (next.done) break;
      if (next.value.cells.some((c) => c.trim() !== '')) sample.push(next.value);
    }
  } finally {
    await rows.return?.(undefined).catch(() => {});
    body.destroy();
  }
  if (sample.length === 0) throw new BatchError('invalid', 'the upload has no rows');
  try {
    const table = await tabulate(fromArray(sample), wanted);
    const shown: string[][] = [];
    for await (const row of table.rows) {
      shown.push(row.cells);
      if (shown.length === PREVIEW_ROWS) break;
    }
    return { columns: [...table.columns], codeColumn: table.codeColumn, rows: shown };
  } catch (error) {
    if (!(error instanceof BatchError) || wanted !== undefined) throw error;
    // No column of codes detected: show the rows under the first row's names, and let the customer pick.
    const columns = columnNames(sample[0].cells);
    return { columns, codeColumn: null, rows: sample.slice(1, 1 + PREVIEW_ROWS).map((r) => r.cells) };
  }
}

/**
 * One streamed pass over the whole upload counting rows, valid codes and distinct codes for
 * a code column: what the confirmation page prices. Only the distinct codes are held (at most
 * maxRows of them), never the file; it stops at maxRows + 1.
 */
export async function countUpload(
  body: Readable,
  format: UploadMeta['format'],
  column: string,
  maxRows: number,
  maxInflatedBytes?: number,
): Promise<UploadCounts> {
  const counts: UploadCounts = { total: 0, valid: 0, invalid: 0, distinct: 0, tooMany: false };
  const distinct = new Set<string>();
  try {
    const table = await tabulate(await rawRows(body, format, maxInflatedBytes), column);
    for await (const row of table.rows) {
      if (counts.total >= maxRows) {
        counts.tooMany = true;
        break;
      }
      counts.total++;
      const checked = row.error ? null : validateTaxId(row.codeText);
      if (checked?.valid) {
        counts.valid++;
        distinct.add(checked.code);
      } else counts.invalid++;
    }
  } finally {
    body.destroy();
  }
  counts.distinct = distinct.size;
  return counts;
}
