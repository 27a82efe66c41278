import { sql, type Kysely, type Transaction } from 'kysely';
import type { Store } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import { JobStatus } from './job-status.ts';
import { toJob, type Job } from './job.ts';

/** Heartbeat: pushes the lease of the jobs this worker still holds. Returns the ids still held. */
export async function extendLeases(store: Store, workerId: string, jobIds: string[], until: number, now: number): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const rows = await store.db
    .updateTable('jobs')
    .set({ locked_until: until, updated_at: now })
    .where('id', 'in', jobIds)
    .where('locked_by', '=', workerId)
    .where('status', '=', JobStatus.running)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Graceful shutdown: hands back the jobs this worker holds so another claims them at once,
 * without counting the interrupted attempt.
 */
export async function releaseJobs(store: Store, workerId: string, now: number): Promise<number> {
  const result = await store.db
    .updateTable('jobs')
    .set({ status: JobStatus.queued, locked_by: null, locked_until: null, attempts: sql`attempts - 1`, run_at: now, updated_at: now })
    .where('locked_by', '=', workerId)
    .where('status', '=', JobStatus.running)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Hands back some jobs this worker claimed but did not start (or a person's claim), in their
 * place: run_at is kept, so they stay ahead of younger jobs, and the claim is not counted as
 * an attempt. Fenced by the lease; returns the jobs handed back.
 */
export async function returnJobs(
  db: Kysely<Database> | Transaction<Database>,
  workerId: string,
  jobIds: readonly string[],
  now: number,
  /** The lease they were claimed with: fences out a claim of the same jobs by the same worker after it expired. */
  lockedUntil?: number,
): Promise<Job[]> {
  if (jobIds.length === 0) return [];
  const rows = await db
    .updateTable('jobs')
    .set({ status: JobStatus.queued, locked_by: null, locked_until: null, attempts: sql`attempts - 1`, updated_at: now })
    .where('id', 'in', jobIds)
    .where('locked_by', '=', workerId)
    .where('status', '=', JobStatus.running)
    .$if(lockedUntil !== undefined, (qb) => qb.where('locked_until', '=', lockedUntil!))
    .returningAll()
    .execute();
  return rows.map(toJob);
}

/** The jobs of a queue that `workerId` holds now (lease not expired), oldest first. */
export async function heldJobs(db: Kysely<Database>, queue: string, workerId: string, now: number): Promise<Job[]> {
  const rows = await db
    .selectFrom('jobs')
    .selectAll()
    .where('queue', '=', queue)
    .where('status', '=', JobStatus.running)
    .where('locked_by', '=', workerId)
    .where('locked_until', '>', now)
    .orderBy('run_at')
    .execute();
  return rows.map(toJob);
}
