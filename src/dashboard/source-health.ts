import { sql, type Kysely } from 'kysely';
import { AttemptOutcome } from '../registries/attempt-outcome.ts';
import type { AttemptsTable, Database } from '../store/schema.ts';

export const ATTEMPT_OUTCOMES = Object.values(AttemptOutcome);

export interface SourceHealth {
  source: string;
  counts: Record<AttemptsTable['outcome'], number>;
  total: number;
  /** Share of attempts that failed (transient or permanent), 0..1. */
  errorRate: number;
}

/** Per source, the outcomes of the attempts that finished in [since, until) (the dashboard's period). */
export async function sourceHealth(db: Kysely<Database>, since: number, until: number): Promise<SourceHealth[]> {
  const rows = await db
    .selectFrom('attempts')
    .select(['source', 'outcome', sql<number>`count(*)`.as('n')])
    .where('finished_at', '>=', since)
    .where('finished_at', '<', until)
    .groupBy(['source', 'outcome'])
    .execute();
  const bySource = new Map<string, Record<AttemptsTable['outcome'], number>>();
  for (const row of rows) {
    const counts = bySource.get(row.source) ?? { found: 0, not_found: 0, transient_error: 0, permanent_error: 0, skipped: 0 };
    counts[row.outcome] += Number(row.n);
    bySource.set(row.source, counts);
  }
  return [...bySource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, counts]) => {
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      // Skipped attempts asked nothing: they count neither for nor against the source.
      const asked = total - counts.skipped;
      return { source, counts, total, errorRate: asked === 0 ? 0 : (counts.transient_error + counts.permanent_error) / asked };
    });
}
