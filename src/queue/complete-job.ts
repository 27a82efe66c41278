import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Removes a finished job, fenced by its lease: if another worker took the job over after this
 * one's lease expired, 0 rows match and the caller must drop its result (roll back).
 */
export async function completeJob(db: Kysely<Database> | Transaction<Database>, jobId: string, workerId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('jobs')
    .where('id', '=', jobId)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
