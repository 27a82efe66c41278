import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { newId } from '../ids.ts';

export interface NewJob {
  queue: string;
  payload: unknown;
  now: number;
  runAt?: number;
  maxAttempts?: number;
}

/**
 * Adds a job, usually inside the transaction that accepted the work, so that an accepted
 * request and its job exist together or not at all. Wake the workers after the commit.
 */
export async function addJob(db: Kysely<Database> | Transaction<Database>, job: NewJob): Promise<string> {
  const id = newId('job', job.now);
  await db
    .insertInto('jobs')
    .values({
      id,
      queue: job.queue,
      payload: JSON.stringify(job.payload),
      status: 'queued',
      run_at: job.runAt ?? job.now,
      attempts: 0,
      max_attempts: job.maxAttempts ?? 10,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: job.now,
      updated_at: job.now,
    })
    .execute();
  return id;
}
