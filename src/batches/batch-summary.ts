import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { BatchesTable, Database } from '../store/schema.ts';
import { BatchStatus, PENDING_ROW_STATUSES, ROW_STATUSES, type RowStatus } from './batch-status.ts';

export type RowCounts = Record<RowStatus, number>;

export interface BatchSummary {
  batch: BatchesTable;
  counts: RowCounts;
  /** Share of rows settled (answered, invalid or refused), 0..1. */
  progress: number;
  /** When the last row of a processing batch settled, once every row has; null otherwise. */
  settledAt: number | null;
}

/**
 * A row's status in SQL, over `batch_rows br left join requests r on r.id = br.request_id`:
 * no code is invalid; a code without a request is refused (error set) or still being created;
 * otherwise the request's status (a request purged by retention reads as cancelled).
 */
export function rowStatusSql(): RawBuilder<RowStatus> {
  return sql<RowStatus>`case when br.code is null then 'invalid' when br.request_id is null then (case when br.error is null then 'queued' else 'refused' end) else coalesce(r.status, 'cancelled') end`;
}

/**
 * The batch with its row counts by status and its progress: a read, it writes nothing. Counts
 * are computed from the rows until the batch is completed; then they are frozen with it (settled
 * rows do not change), so reading a completed batch is one row. A settled batch not completed
 * yet reads as processing with progress 1: completeIfSettled (complete-batch.ts) is the writer
 * that completes it, called when its last row settles (settle-batches.ts).
 */
export async function summarise(db: Kysely<Database>, batch: BatchesTable): Promise<BatchSummary> {
  if (batch.counts !== null) return { batch, counts: JSON.parse(batch.counts) as RowCounts, progress: 1, settledAt: null };
  const { counts, lastAnsweredAt } = await countRows(db, batch.id);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const pending = PENDING_ROW_STATUSES.reduce((n, s) => n + counts[s], 0);
  const settledAt = batch.status === BatchStatus.processing && pending === 0 ? Math.max(lastAnsweredAt ?? 0, Number(batch.updated_at)) : null;
  return { batch, counts, progress: total === 0 ? 1 : (total - pending) / total, settledAt };
}

/** An account's batch by id with its summary, or null when the account has no such batch: a read, it writes nothing. */
export async function loadBatchSummary(db: Kysely<Database>, accountId: string, id: string): Promise<BatchSummary | null> {
  const batch = await findBatch(db, accountId, id);
  return batch ? summarise(db, batch) : null;
}

/** An account's batch, or undefined (another account's batch is as unknown as a missing one). */
export async function findBatch(db: Kysely<Database>, accountId: string, id: string): Promise<BatchesTable | undefined> {
  return db.selectFrom('batches').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
}

async function countRows(db: Kysely<Database>, batchId: string): Promise<{ counts: RowCounts; lastAnsweredAt: number | null }> {
  const status = rowStatusSql();
  const rows = await db
    .selectFrom('batch_rows as br')
    .leftJoin('requests as r', 'r.id', 'br.request_id')
    .select([status.as('status'), sql<number>`count(*)`.as('n'), sql<number | null>`max(r.answered_at)`.as('last')])
    .where('br.batch_id', '=', batchId)
    .groupBy(status)
    .execute();
  const counts = Object.fromEntries(ROW_STATUSES.map((s) => [s, 0])) as RowCounts;
  let lastAnsweredAt: number | null = null;
  for (const row of rows) {
    counts[row.status] += Number(row.n);
    if (row.last !== null) lastAnsweredAt = Math.max(lastAnsweredAt ?? 0, Number(row.last));
  }
  return { counts, lastAnsweredAt };
}
