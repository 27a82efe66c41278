import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Transform } from 'node:stream';
import type { Account } from '../accounts/api-keys.ts';
import { balanceOf, canSpend } from '../billing/balance.ts';
import { formatEuro } from '../resources/money.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { newId } from '../ids.ts';
import type { LookupDeps } from '../lookups/lookup-deps.ts';
import type { BatchesTable } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { rollbackBatch } from './rollback-batch.ts';
import { completeIfSettled } from './complete-batch.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
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
  /** The client's Idempotency-Key: a retry with the same key and upload gets the same batch, charged once. */
  idempotencyKey?: string | null;
}

export interface CreatedBatch {
  id: string;
  /** true: an Idempotency-Key replay answered with the batch the first upload created (nothing new charged). */
  replayed: boolean;
}

/**
 * Creates a batch from an upload, in three steps that never hold the upload in memory:
 * 1. the rows are parsed as they arrive and stored in chunks (status `uploading`);
 * 2. the distinct new codes are counted and, when the account cannot pay for all of them, the
 *    whole batch is refused (402) and deleted: nothing charged, no request made;
 * 3. the lookups are created 2,000 rows per transaction (createBatchLookups); then `processing`,
 *    in one transaction with the Idempotency-Key, if any.
 * Nothing survives an error answer: a failure at any step (a full disk, a lost store) rolls the
 * upload back (rollbackBatch: its lookups refunded and deleted in the same transactions), and
 * what a failed rollback or a dead process leaves in `uploading` the sweeper rolls back later.
 * Only a batch that reached `processing`, i.e. was answered 202, is ever charged.
 *
 * Why not charge once at the end instead: lookups are created in chunks of 2,000 so that a
 * million-code upload never holds the write lock for long, and each chunk's charges are written
 * with its requests by insertLookups, the one writer of charges. Undoing them with refunds in
 * the deleting transaction keeps one writer and one rule (a request is charged once, refunded at
 * most once), at the cost of charge and refund rows in the ledger for an upload that failed.
 */
export async function createBatch(deps: LookupDeps, input: NewBatch): Promise<CreatedBatch> {
  const { store, clock } = deps;
  const { account } = input;
  const key = input.idempotencyKey ?? null;
  // The upload's bytes with what else decides the result: another column or callback is another request.
  const hash = key ? createHash('sha256').update(JSON.stringify([input.format, input.column ?? null, input.callbackUrl ?? null])) : null;
  if (key && hash) {
    const seen = await findKey(store, account.id, key);
    if (seen) {
      // A retry of an upload answered before: read only to compare it with the first.
      const upload = limitedInput(input.body, input.maxBytes, (chunk) => hash.update(chunk));
      try {
        for await (const _ of upload);
      } finally {
        upload.destroy();
      }
      return replay(seen, hash.digest('base64url'));
    }
  }
  const id = newId('bat', clock.now());
  const now = clock.now();
  await store.db
    .insertInto('batches')
    .values(uploadingBatchRow({ id, accountId: account.id, format: input.format, callbackUrl: input.callbackUrl ?? null, now }))
    .execute();
  const bodyHash = { value: '' };
  try {
    const rows = await readUpload(deps, id, input, hash, bodyHash);
    const created = await createBatchLookups(deps, account, id, rows);
    await store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('batches')
        .set({
          status: BatchStatus.processing,
          new_lookups: created,
          charged_cents: created * account.price_cents,
          updated_at: clock.now(),
        })
        .where('id', '=', id)
        .execute();
      if (key)
        await trx
          .insertInto('batch_idempotency_keys')
          .values({ account_id: account.id, key, body_hash: bodyHash.value, batch_id: id, created_at: clock.now() })
          .execute();
    });
  } catch (error) {
    await rollbackBatch(store, clock, id).catch((rollbackError: unknown) => {
      // The sweeper finishes it: the batch stays `uploading` until then, and is never resumed.
      deps.logger.error({ err: rollbackError, batch: id }, 'batch upload failed and its rollback too: left to the sweeper');
    });
    // Two uploads with one key at once: the second to finish answers with the first's batch.
    const seen = key && bodyHash.value ? await findKey(store, account.id, key).catch(() => null) : null;
    if (seen) return replay(seen, bodyHash.value);
    throw error;
  }
  // Every row may be answered already (inline answers, codes answered before): complete it now.
  const batch = await store.db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  await completeIfSettled(store, clock, batch, () => deps.notifier.jobAdded(WEBHOOK_QUEUE));
  return { id, replayed: false };
}

/** The batch an account's upload Idempotency-Key created, or null when the key is unused. */
export async function batchOfIdempotencyKey(store: Store, accountId: string, key: string): Promise<string | null> {
  return (await findKey(store, accountId, key))?.batch_id ?? null;
}

async function findKey(store: Store, accountId: string, key: string) {
  return store.db
    .selectFrom('batch_idempotency_keys')
    .select(['body_hash', 'batch_id'])
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .executeTakeFirst();
}

function replay(seen: { body_hash: string; batch_id: string }, bodyHash: string): CreatedBatch {
  if (seen.body_hash !== bodyHash)
    throw new CercapecError(ErrorCode.idempotencyConflict, 'this Idempotency-Key was used with another upload (bytes, content type, column or callbackUrl)');
  return { id: seen.batch_id, replayed: true };
}

/** Steps 1 and 2: the rows stored, the upfront credit check passed. Returns the row count. */
async function readUpload(deps: LookupDeps, id: string, input: NewBatch, hash: Hash | null, bodyHash: { value: string }): Promise<number> {
  const { store, clock } = deps;
  const { account } = input;
  const upload = limitedInput(input.body, input.maxBytes, hash ? (chunk) => hash.update(chunk) : undefined);
  try {
    const { table, delimiter } = await openTable(upload, input.format, input.column, input.maxInflatedBytes);
    const totals = await storeBatchRows(store, id, table, input.maxRows);
    if (totals.total === 0) throw new BatchError('invalid', 'the upload has no rows');
    if (hash) {
      await readToEnd(upload);
      bodyHash.value = hash.digest('base64url');
    }
    const codes = await countNewCodes(store, account.id, id);
    const cost = codes.fresh * account.price_cents;
    if (cost > 0 && !canSpend(account, await balanceOf(store.db, account.id), cost)) {
      throw new CercapecError(
        ErrorCode.insufficientCredit,
        `the batch needs ${codes.fresh} new lookups (${formatEuro(cost)} euro) and the credit does not cover them`,
      );
    }
    await store.db
      .updateTable('batches')
      .set({
        column_name: table.codeColumn,
        input_columns: JSON.stringify(table.columns),
        csv_delimiter: delimiter,
        total_rows: totals.total,
        valid_rows: totals.valid,
        invalid_rows: totals.invalid,
        distinct_codes: codes.distinct,
        updated_at: clock.now(),
      })
      .where('id', '=', id)
      .execute();
    return totals.total;
  } finally {
    upload.destroy();
  }
}

/**
 * The hash must cover every byte: a parser may stop before the end (an XLSX reader has what it
 * needs before the zip's central directory), so what is left is read past it and dropped.
 */
async function readToEnd(upload: Transform): Promise<void> {
  if (upload.readableEnded) return;
  upload.unpipe();
  const ended = once(upload, 'end');
  upload.resume();
  await ended;
}

async function openTable(
  upload: Readable,
  format: BatchFormat,
  column: string | undefined,
  maxInflatedBytes?: number,
): Promise<{ table: Table; delimiter: ';' | ',' | null }> {
  if (format === 'json') {
    if (column !== undefined && column !== 'code') throw new BatchError('invalid', 'a JSON upload has its codes in "code": ?column= does not apply');
    return { table: readJsonBatch(upload), delimiter: null };
  }
  if (format === 'xlsx') return { table: await tabulate(readXlsxBatch(upload, maxInflatedBytes), column), delimiter: null };
  const csv = await readCsvBatch(upload);
  return { table: await tabulate(csv.rows, column), delimiter: csv.delimiter };
}

/** A batch as it starts: uploading, nothing read or counted yet (its totals come after the credit check). */
export function uploadingBatchRow(o: { id: string; accountId: string; format: BatchFormat; callbackUrl: string | null; now: number }): BatchesTable {
  return {
    id: o.id,
    account_id: o.accountId,
    status: BatchStatus.uploading,
    format: o.format,
    column_name: null,
    input_columns: '[]',
    csv_delimiter: null,
    total_rows: 0,
    valid_rows: 0,
    invalid_rows: 0,
    distinct_codes: 0,
    new_lookups: 0,
    charged_cents: 0,
    counts: null,
    created_at: o.now,
    updated_at: o.now,
    completed_at: null,
    callback_url: o.callbackUrl,
  };
}
