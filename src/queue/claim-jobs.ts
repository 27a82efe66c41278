import { sql } from 'kysely';
import type { Store } from '../store/store.ts';
import { toJob, type Job } from './job.ts';

export interface ClaimOptions {
  queue: string;
  workerId: string;
  limit: number;
  leaseMs: number;
  now: number;
}

/**
 * Claims up to `limit` ready jobs in one statement: queued ones whose time has come, and running
 * ones whose lease expired (their worker died). The subquery locks with SKIP LOCKED on
 * PostgreSQL so concurrent claimers never wait on each other; SQLite serialises writers anyway.
 * attempts is counted at claim time, so a job that kills its worker still runs out of attempts.
 */
export async function claimJobs(store: Store, o: ClaimOptions): Promise<Job[]> {
  if (o.limit <= 0) return [];
  const rows = await store.db
    .updateTable('jobs')
    .set({
      status: 'running',
      locked_by: o.workerId,
      locked_until: o.now + o.leaseMs,
      attempts: sql`attempts + 1`,
      updated_at: o.now,
    })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', o.queue)
        .where((w) =>
          w.or([
            w.and([w('status', '=', 'queued'), w('run_at', '<=', o.now)]),
            w.and([w('status', '=', 'running'), w('locked_until', '<', o.now)]),
          ]),
        )
        .orderBy('run_at')
        .limit(o.limit)
        .$if(store.dialect.skipLocked, (qb) => qb.forUpdate().skipLocked()),
    )
    .returningAll()
    .execute();
  return rows.map(toJob).sort((a, b) => a.runAt - b.runAt);
}
