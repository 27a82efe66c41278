import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { OPERATOR_QUEUE } from '../lookups/enqueue-operator.ts';

export interface JobHolder {
  userId: string;
  username: string;
  lockedUntil: number;
}

/**
 * Who works on an operator job now (a live lease of a person), or null when nobody does: so
 * a second operator who opens it is told who holds it and until when, not that it is "no
 * longer theirs".
 */
export async function jobHolder(db: Kysely<Database>, jobId: string, now: number): Promise<JobHolder | null> {
  const job = await db
    .selectFrom('jobs')
    .select(['locked_by', 'locked_until'])
    .where('id', '=', jobId)
    .where('queue', '=', OPERATOR_QUEUE)
    .where('status', '=', 'running')
    .where('locked_until', '>', now)
    .executeTakeFirst();
  const userId = job?.locked_by?.startsWith('operator:') ? job.locked_by.slice('operator:'.length) : null;
  if (!job || !userId) return null;
  const user = await db.selectFrom('users').select(['id', 'username']).where('id', '=', userId).executeTakeFirst();
  return user ? { userId: user.id, username: user.username, lockedUntil: Number(job.locked_until) } : null;
}
