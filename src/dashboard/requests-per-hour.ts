import { sql, type Kysely } from 'kysely';
import { LookupStatus } from '../lookups/lookup-status.ts';
import type { Database, RequestStatus } from '../store/schema.ts';
import { bucketOfHour, HOUR_MS, spanOf, type Timeline } from './timeline.ts';

export { HOUR_MS } from './timeline.ts';

/** The outcomes the dashboard draws; queued and running are one "in corso" line. */
export const OUTCOMES = [
  LookupStatus.found,
  LookupStatus.notFound,
  LookupStatus.failed,
  LookupStatus.cancelled,
  LookupStatus.waitingOperator,
  'in_progress',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function outcomeOf(status: RequestStatus): Outcome {
  return status === LookupStatus.queued || status === LookupStatus.running ? 'in_progress' : status;
}

export interface RequestSeries {
  timeline: Timeline;
  /** Per outcome, one count per bucket of the timeline (every bucket, even when empty). */
  counts: Record<Outcome, number[]>;
}

/**
 * Requests accepted per bucket of the timeline (hours or days) by their present outcome. Grouped
 * by hour in the database (integer division of created_at, the same on both dialects), so the
 * cost does not grow with the rows sent back: at most hours x outcomes rows (a year: 8,784 x 7),
 * served by the requests_created index; the hours are folded into days here.
 */
export async function requestsPerHour(db: Kysely<Database>, timeline: Timeline): Promise<RequestSeries> {
  const { since, until } = spanOf(timeline);
  const hourOf = sql<number>`(created_at / ${sql.lit(HOUR_MS)})`;
  const rows = await db
    .selectFrom('requests')
    .select([hourOf.as('hour'), 'status', sql<number>`count(*)`.as('n')])
    .where('created_at', '>=', since)
    .where('created_at', '<', until)
    .groupBy([hourOf, 'status'])
    .execute();
  const index = bucketOfHour(timeline);
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, timeline.starts.map(() => 0)])) as Record<Outcome, number[]>;
  for (const row of rows) {
    const i = index.get(Number(row.hour));
    if (i !== undefined) counts[outcomeOf(row.status)][i] += Number(row.n);
  }
  return { timeline, counts };
}
