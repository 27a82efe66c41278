import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { JobStatus } from './job-status.ts';

export interface FailOptions {
  jobId: string;
  workerId: string;
  error: string;
  now: number;
  /** When to try again; null gives up for good (the row stays, status failed, for inspection). */
  retryAt: number | null;
}

/** Records a failed attempt, fenced by the lease like completeJob. */
export async function failJob(db: Kysely<Database> | Transaction<Database>, o: FailOptions): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({
      status: o.retryAt === null ? JobStatus.failed : JobStatus.queued,
      run_at: o.retryAt ?? o.now,
      last_error: o.error.slice(0, 2000),
      locked_by: null,
      locked_until: null,
      updated_at: o.now,
    })
    .where('id', '=', o.jobId)
    .where('locked_by', '=', o.workerId)
    .where('status', '=', JobStatus.running)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
