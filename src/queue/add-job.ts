import type { Kysely, Transaction } from 'kysely';
import type { Database, JobsTable } from '../store/schema.ts';
import { insertRows } from '../store/insert-rows.ts';
import { newId } from '../ids.ts';
import { JobStatus } from './job-status.ts';

export interface NewJob {
  queue: string;
  payload: unknown;
  now: number;
  runAt?: number;
  maxAttempts?: number;
}

/** The row a job is stored as (for writers that insert it themselves, see addJobs). */
export function jobRow(job: NewJob): JobsTable {
  return {
    id: newId('job', job.now),
    queue: job.queue,
    payload: JSON.stringify(job.payload),
    status: JobStatus.queued,
    run_at: job.runAt ?? job.now,
    attempts: 0,
    max_attempts: job.maxAttempts ?? 10,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: job.now,
    updated_at: job.now,
  };
}

/**
 * Adds a job, usually inside the transaction that accepted the work, so that an accepted
 * request and its job exist together or not at all. Wake the workers after the commit.
 */
export async function addJob(db: Kysely<Database> | Transaction<Database>, job: NewJob): Promise<string> {
  const row = jobRow(job);
  await db.insertInto('jobs').values(row).execute();
  return row.id;
}

/**
 * Adds many jobs with multi-row inserts (store/insert-rows.ts: no query builder per row), for
 * batches and group commits. Returns their ids in the order given.
 */
export async function addJobs(db: Kysely<Database> | Transaction<Database>, jobs: readonly NewJob[]): Promise<string[]> {
  const rows = jobs.map(jobRow);
  await insertRows(db, 'jobs', rows);
  return rows.map((r) => r.id);
}
