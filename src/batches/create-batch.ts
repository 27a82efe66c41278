import type { Readable } from 'node:stream';
import type { Account } from '../accounts/api-keys.ts';
import { balanceOf, canSpend } from '../billing/balance.ts';
import { formatEuro } from '../billing/money.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { newId } from '../ids.ts';
import type { LookupDeps } from '../lookups/lookup-deps.ts';
import type { Store } from '../store/store.ts';
import { BatchError } from './batch-error.ts';
import { BatchStatus, type BatchFormat } from './batch-status.ts';
import { tabulate, type Table } from './batch-table.ts';
import { countNewCodes, createBatchLookups } from './create-batch-lookups.ts';
import { limitedInput } from './limit-bytes.ts';
import { readCsvBatch } from './parse-batch-csv.ts';
import { readJsonBatch } from './parse-batch-json.ts';
import { readXlsxBatch } from './parse-batch-xlsx.ts';
import { storeBatchRows } from './store-batch-rows.ts';

export interface NewBatch {
  account: Account;
  format: BatchFormat;
  /** The request body, read as it arrives. */
  body: Readable;
  /** The column holding the codes; detected when absent (CSV and XLSX). */
  column?: string;
  /** Where batch.completed is posted (already checked by the caller); null: the account's webhook, if any. */
  callbackUrl?: string | null;
  maxRows: number;
  maxBytes: number;
  /** XLSX: the most bytes the zip may inflate to (config batchMaxInflatedBytes; default 200 MiB). */
  maxInflatedBytes?: number;
}

/**
 * Creates a batch from an upload, in three steps that never hold the upload in memory:
 * 1. the rows are parsed as they arrive and stored in chunks (status `uploading`);
 * 2. the distinct new codes are counted and, when the account cannot pay for all of them, the
 *    whole batch is refused (402) and deleted: nothing charged, no request made;
 * 3. the lookups are created 2,000 rows per transaction (createBatchLookups); then `processing`.
 * A refused or unreadable upload leaves nothing behind. Returns the batch id.
 */
export async function createBatch(deps: LookupDeps, input: NewBatch): Promise<string> {
  const { store, clock } = deps;
  const { account } = input;
  const id = newId('bat', clock.now());
  const now = clock.now();
  await store.db.insertInto('batches').values({
    id, account_id: account.id, status: BatchStatus.uploading, format: input.format, column_name: null, input_columns: '[]',
    csv_delimiter: null, total_rows: 0, valid_rows: 0, invalid_rows: 0, distinct_codes: 0, new_lookups: 0, charged_cents: 0,
    counts: null, created_at: now, updated_at: now, completed_at: null, callback_url: input.callbackUrl ?? null,
  }).execute();
  const rows = await readUpload(deps, id, input).catch(async (error: unknown) => {
    await deleteBatch(store, id);
    throw error;
  });
  const created = await createBatchLookups(deps, account, id, rows);
  await store.db.updateTable('batches').set({
    status: BatchStatus.processing, new_lookups: created, charged_cents: created * account.price_cents, updated_at: clock.now(),
  }).where('id', '=', id).execute();
  return id;
}

/** Steps 1 and 2: the rows stored, the upfront credit check passed. Returns the row count. */
async function readUpload(deps: LookupDeps, id: string, input: NewBatch): Promise<number> {
  const { store, clock } = deps;
  const { account } = input;
  const upload = limitedInput(input.body, input.maxBytes);
  try {
    const { table, delimiter } = await openTable(upload, input.format, input.column, input.maxInflatedBytes);
    const totals = await storeBatchRows(store, id, table, input.maxRows);
    if (totals.total === 0) throw new BatchError('invalid', 'the upload has no rows');
    const codes = await countNewCodes(store, account.id, id);
    const cost = codes.fresh * account.price_cents;
    if (cost > 0 && !canSpend(account, await balanceOf(store.db, account.id), cost)) {
      throw new CercapecError(ErrorCode.insufficientCredit, `the batch needs ${codes.fresh} new lookups (${formatEuro(cost)} euro) and the credit does not cover them`);
    }
    await store.db.updateTable('batches').set({
      column_name: table.codeColumn, input_columns: JSON.stringify(table.columns), csv_delimiter: delimiter,
      total_rows: totals.total, valid_rows: totals.valid, invalid_rows: totals.invalid, distinct_codes: codes.distinct, updated_at: clock.now(),
    }).where('id', '=', id).execute();
    return totals.total;
  } finally {
    upload.destroy();
  }
}

async function openTable(upload: Readable, format: BatchFormat, column: string | undefined, maxInflatedBytes?: number): Promise<{ table: Table; delimiter: ';' | ',' | null }> {
  if (format === 'json') {
    if (column !== undefined && column !== 'code') throw new BatchError('invalid', 'a JSON upload has its codes in "code": ?column= does not apply');
    return { table: readJsonBatch(upload), delimiter: null };
  }
  if (format === 'xlsx') return { table: await tabulate(readXlsxBatch(upload, maxInflatedBytes), column), delimiter: null };
  const csv = await readCsvBatch(upload);
  return { table: await tabulate(csv.rows, column), delimiter: csv.delimiter };
}

/** Deletes a batch that was refused before any lookup was created, in chunks of rows. */
export async function deleteBatch(store: Store, id: string): Promise<void> {
  for (;;) {
    const last = await store.db.selectFrom('batch_rows').select('row_index').where('batch_id', '=', id).orderBy('row_index', 'desc').limit(1).executeTakeFirst();
    if (!last) break;
    await store.db.deleteFrom('batch_rows').where('batch_id', '=', id).where('row_index', '>', Number(last.row_index) - 5000).execute();
  }
  await store.db.deleteFrom('batches').where('id', '=', id).execute();
}
