import { setImmediate as nextTurn } from 'node:timers/promises';
import { validateTaxId } from '../taxid/index.ts';
import type { Store } from '../store/store.ts';
import type { BatchRowsTable } from '../store/schema.ts';
import type { Table } from './batch-table.ts';
import { BatchError } from './batch-error.ts';
import { insertRows } from '../store/insert-rows.ts';
import { runBulk } from '../store/bulk-writes.ts';

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
  // One insert in flight while the next rows are parsed: on a SQLite file it runs on the bulk
  // writer's thread (store/worker-writer.ts), so parsing and writing share the two cores.
  let writing: Promise<void> = Promise.resolve();
  const write = async (rows: BatchRowsTable[]) => {
    await writing;
    writing = runBulk(store, (db) => insertRows(db, 'batch_rows', rows));
    // Never left unobserved: a failure is rethrown by the next write or the last await.
    writing.catch(() => {});
  };
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
      await write(chunk);
      chunk = [];
      // A body already received parses without waiting for I/O: let other requests in (see createBatchLookups).
      await nextTurn();
    }
  }
  if (chunk.length > 0) await write(chunk);
  await writing;
  return totals;
}
