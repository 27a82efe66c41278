import type { z } from 'zod';
import type { BatchesTable } from '../store/schema.ts';
import type { BatchCountsSchema, BatchSchema } from './batch-schemas.ts';

/** A batch with its row counts by status and its progress (batches/batch-summary.ts computes them). */
export interface BatchView {
  batch: BatchesTable;
  counts: z.output<typeof BatchCountsSchema>;
  /** Share of rows settled, 0..1. */
  progress: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A batch as GET /v1/batches/{id} shows it (and its batch.completed webhook sends). */
export function toBatchResource({ batch, counts, progress }: BatchView): z.output<typeof BatchSchema> {
  return {
    id: batch.id,
    status: batch.status,
    format: batch.format,
    column: batch.column_name,
    columns: JSON.parse(batch.input_columns) as string[],
    rows: Number(batch.total_rows),
    validRows: Number(batch.valid_rows),
    invalidRows: Number(batch.invalid_rows),
    distinctCodes: Number(batch.distinct_codes),
    newLookups: Number(batch.new_lookups),
    chargedCents: Number(batch.charged_cents),
    counts,
    progress,
    createdAt: iso(batch.created_at)!,
    completedAt: iso(batch.completed_at),
    resultsUrl: `/v1/batches/${batch.id}/results`,
    callbackUrl: batch.callback_url ?? null,
  };
}
