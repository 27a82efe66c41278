import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { bucketOfHour, HOUR_MS, spanOf, type Timeline } from './timeline.ts';
import { LookupStatus } from '../lookups/lookup-status.ts';

/**
 * Upper bounds (ms) of the histogram buckets of time to answer; the last bucket is open. Roughly
 * 1-2.5-5 steps from 50 ms (a directory hit) to a day (a person answering).
 */
export const BUCKET_BOUNDS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000] as const;

export interface AnswerTimes {
  timeline: Timeline;
  /** Estimated median and 95th percentile (ms) per bucket of the timeline; null when nothing was answered. */
  p50: (number | null)[];
  p95: (number | null)[];
  /** Over the whole window. */
  overall: { answered: number; p50: number | null; p95: number | null };
}

/**
 * Percentile from a histogram: the bucket holding the q-th answer, interpolated linearly within
 * it (the open last bucket reports its lower bound). Exact to the bucket, like Prometheus'
 * histogram_quantile.
 */
export function percentile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] === 0 || seen + buckets[i] < rank) {
      seen += buckets[i];
      continue;
    }
    const lower = i === 0 ? 0 : BUCKET_BOUNDS[i - 1];
    const upper = BUCKET_BOUNDS[i];
    if (upper === undefined) return lower;
    return Math.round(lower + (upper - lower) * ((rank - seen) / buckets[i]));
  }
  return BUCKET_BOUNDS[BUCKET_BOUNDS.length - 1];
}

/**
 * Median and p95 of the time from acceptance to answer (found or not found) for requests
 * accepted in the timeline, per hour or day. The database counts answers per hour and bucket (at
 * most hours x 16 rows whatever the traffic); the hours' counts are added into days here, and
 * percentiles are estimated from those counts rather than by sorting every answer, which neither
 * dialect does portably.
 */
export async function answerTimes(db: Kysely<Database>, timeline: Timeline): Promise<AnswerTimes> {
  const { since, until } = spanOf(timeline);
  const duration = '(answered_at - created_at)';
  const bucket = sql.raw(`case ${BUCKET_BOUNDS.map((b, i) => `when ${duration} < ${b} then ${i}`).join(' ')} else ${BUCKET_BOUNDS.length} end`);
  const hourOf = sql<number>`(created_at / ${sql.lit(HOUR_MS)})`;
  const rows = await db
    .selectFrom('requests')
    .select([hourOf.as('hour'), sql<number>`${bucket}`.as('bucket'), sql<number>`count(*)`.as('n')])
    .where('created_at', '>=', since)
    .where('created_at', '<', until)
    .where('status', 'in', [LookupStatus.found, LookupStatus.notFound])
    .where('answered_at', 'is not', null)
    .groupBy([hourOf, bucket])
    .execute();
  const index = bucketOfHour(timeline);
  const perHour = timeline.starts.map(() => new Array<number>(BUCKET_BOUNDS.length + 1).fill(0));
  const overall = new Array<number>(BUCKET_BOUNDS.length + 1).fill(0);
  for (const row of rows) {
    const i = index.get(Number(row.hour));
    if (i === undefined) continue;
    perHour[i][Number(row.bucket)] += Number(row.n);
    overall[Number(row.bucket)] += Number(row.n);
  }
  return {
    timeline,
    p50: perHour.map((b) => percentile(b, 0.5)),
    p95: perHour.map((b) => percentile(b, 0.95)),
    overall: { answered: overall.reduce((a, b) => a + b, 0), p50: percentile(overall, 0.5), p95: percentile(overall, 0.95) },
  };
}
