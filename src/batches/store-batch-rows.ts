import { setImmediate as nextTurn } from 'node:timers/promises';
import { validateTaxId } from '../taxid/index.ts';
import type { Store } from '../store/store.ts';
import type { BatchRowsTable } from '../store/schema.ts';
import type { Table } from './batch-table.ts';
import { BatchError } from './batch-error.ts';
import { insertRows } from '../store/insert-rows.ts';

/** Rows stored per write: short enough that other requests get a turn between two writes. */
const ROW_CHUNK = 500;

export interface RowTotals {
  total: number;
  valid: number;
  invalid: number;
}

/**
 * Reads the table to its end and stores every row, validated, in chunks of 500, each its own
 * short statement: on SQLite the write lock is never held while the upload is being read, so
 * other requests go on. Fails with `too_large` at row maxRows + 1.
 */
export async function storeBatchRows(store: Store, batchId: string, table: Table, maxRows: number): Promise<RowTotals> {
  const totals: RowTotals = { total: 0, valid: 0, invalid: 0 };
  let chunk: BatchRowsTable[] = [];
  for await (const row of table.rows) {
    if (totals.total >= maxRows) throw new BatchError('too_large', `the upload has more than ${maxRows} rows`);
    const checked = row.error ? null : validateTaxId(row.codeText);
    const code = checked?.valid ? checked.code : null;
    const error = row.error ?? (checked && !checked.valid ? `Codice fiscale non valido: ${checked.message}` : null);
    chunk.push({ batch_id: batchId, row_index: totals.total, input: JSON.stringify(row.cells), code, error, request_id: null });
    totals.total++;
    if (code) totals.valid++;
    else totals.invalid++;
    if (chunk.length === ROW_CHUNK) {
      await insertRows(store.db, 'batch_rows', chunk);
      chunk = [];
      // A body already received parses without waiting for I/O: let other requests in (see createBatchLookups).
      await nextTurn();
    }
  }
  if (chunk.length > 0) await insertRows(store.db, 'batch_rows', chunk);
  return totals;
}
