import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { JobStatus } from './job-status.ts';

/**
 * Removes a finished job, fenced by its lease: if another worker took the job over after this
 * one's lease expired, 0 rows match and the caller must drop its result (roll back).
 */
export async function completeJob(db: Kysely<Database> | Transaction<Database>, jobId: string, workerId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('jobs')
    .where('id', '=', jobId)
    .where('locked_by', '=', workerId)
    .where('status', '=', JobStatus.running)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Ids per statement: well under both databases' limits on bound parameters. */
const CHUNK = 1000;

/**
 * Removes many finished jobs, each fenced by the lease like completeJob: one statement per 1,000
 * ids. Returns how many were removed; fewer than given means the rest were taken over (their
 * lease expired) and will run again elsewhere.
 */
export async function completeJobs(db: Kysely<Database> | Transaction<Database>, jobIds: readonly string[], workerId: string): Promise<number> {
  let removed = 0;
  for (let from = 0; from < jobIds.length; from += CHUNK) {
    const result = await db
      .deleteFrom('jobs')
      .where('id', 'in', jobIds.slice(from, from + CHUNK))
      .where('locked_by', '=', workerId)
      .where('status', '=', JobStatus.running)
      .executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}
