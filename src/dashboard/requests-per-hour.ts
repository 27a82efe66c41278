import { sql, type Kysely } from 'kysely';
import { LookupStatus } from '../lookups/lookup-status.ts';
import type { Database, RequestStatus } from '../store/schema.ts';

export const HOUR_MS = 3_600_000;

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

export interface HourlySeries {
  /** Start of each hour (epoch ms), oldest first, every hour of the window even when empty. */
  hours: number[];
  counts: Record<Outcome, number[]>;
}

/** The hours of the window [since, until), aligned to whole hours. */
export function hoursOf(since: number, until: number): number[] {
  const hours: number[] = [];
  for (let h = Math.floor(since / HOUR_MS) * HOUR_MS; h < until; h += HOUR_MS) hours.push(h);
  return hours;
}

/**
 * Requests accepted per hour by their present outcome. Grouped by the database (integer
 * division of created_at, the same on both dialects), so the cost does not grow with the rows
 * sent back: at most hours x outcomes rows, served by the requests_created index.
 */
export async function requestsPerHour(db: Kysely<Database>, since: number, until: number): Promise<HourlySeries> {
  const hourOf = sql<number>`(created_at / ${sql.lit(HOUR_MS)})`;
  const rows = await db
    .selectFrom('requests')
    .select([hourOf.as('hour'), 'status', sql<number>`count(*)`.as('n')])
    .where('created_at', '>=', since)
    .where('created_at', '<', until)
    .groupBy([hourOf, 'status'])
    .execute();
  const hours = hoursOf(since, until);
  const index = new Map(hours.map((h, i) => [h / HOUR_MS, i]));
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, hours.map(() => 0)])) as Record<Outcome, number[]>;
  for (const row of rows) {
    const i = index.get(Number(row.hour));
    if (i !== undefined) counts[outcomeOf(row.status)][i] += Number(row.n);
  }
  return { hours, counts };
}
