import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { JobStatus } from './job-status.ts';
import { toJob, type Job } from './job.ts';

/** One job as stored, whoever holds it; undefined once it completed (or never was). */
export async function getJob(db: Kysely<Database> | Transaction<Database>, jobId: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

/**
 * The unfinished jobs of a queue (queued or running), oldest first: for queues people work
 * through by hand (the operators'), where the list is the interface.
 */
export async function listJobs(db: Kysely<Database>, queue: string, limit: number): Promise<Job[]> {
  const rows = await db
    .selectFrom('jobs')
    .selectAll()
    .where('queue', '=', queue)
    .where('status', 'in', [JobStatus.queued, JobStatus.running])
    .orderBy('run_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toJob);
}

/**
 * Deletes up to `limit` jobs that failed for good before `before` (a failed job stays for
 * inspection; its age counts from the failure). Returns how many went: the caller repeats
 * while that equals limit, so no statement grows with the backlog.
 */
export async function purgeFailedJobs(db: Kysely<Database> | Transaction<Database>, before: number, limit: number): Promise<number> {
  const ids = (await db.selectFrom('jobs').select('id').where('status', '=', JobStatus.failed).where('updated_at', '<', before).limit(limit).execute()).map(
    (r) => r.id,
  );
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('jobs').where('id', 'in', ids).where('status', '=', JobStatus.failed).executeTakeFirst();
  return Number(result.numDeletedRows);
}
