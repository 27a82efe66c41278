import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { listJobs } from '../queue/list-jobs.ts';
import { JobStatus } from '../queue/job-status.ts';
import { OPERATOR_QUEUE } from '../lookups/enqueue-operator.ts';
import { LookupStatus } from '../lookups/lookup-status.ts';

export interface WaitingRequest {
  jobId: string;
  requestId: string;
  code: string;
  kind: 'cf16' | 'cf11';
  accountId: string;
  accountName: string;
  /** When it started waiting for a person (the job's creation). */
  waitingSince: number;
  /** The queue's worker id of whoever holds it (`operator:<userId>`), while the lease runs. */
  claimedBy: string | null;
  lockedUntil: number | null;
}

/**
 * Requests waiting for a person, oldest first, with who holds each one. Two reads instead of a
 * join: the request id is inside the job's JSON payload, and a portable JSON join would cost
 * more than it saves on a queue people work through by hand.
 */
export async function listOperatorQueue(db: Kysely<Database>, now: number, limit = 200): Promise<WaitingRequest[]> {
  const jobs = await listJobs(db, OPERATOR_QUEUE, limit);
  if (jobs.length === 0) return [];
  const ids = jobs.map((j) => (j.payload as { requestId: string }).requestId);
  const requests = await db
    .selectFrom('requests')
    .innerJoin('accounts', 'accounts.id', 'requests.account_id')
    .select(['requests.id', 'requests.code', 'requests.kind', 'requests.account_id', 'accounts.name'])
    .where('requests.id', 'in', ids)
    .where('requests.status', '=', LookupStatus.waitingOperator)
    .execute();
  const byId = new Map(requests.map((r) => [r.id, r]));
  return jobs.flatMap((job, i) => {
    const request = byId.get(ids[i]);
    if (!request) return []; // cancelled meanwhile: the next claim retires its job
    const held = job.status === JobStatus.running && job.lockedUntil > now;
    return [
      {
        jobId: job.id,
        requestId: request.id,
        code: request.code,
        kind: request.kind,
        accountId: request.account_id,
        accountName: request.name,
        waitingSince: job.createdAt,
        claimedBy: held ? job.lockedBy : null,
        lockedUntil: held ? job.lockedUntil : null,
      },
    ];
  });
}

/** How many requests wait for a person, and since when the oldest. */
export async function operatorQueueDepth(db: Kysely<Database>): Promise<{ waiting: number; oldestSince: number | null }> {
  const row = await db
    .selectFrom('requests')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('updated_at').as('oldest')])
    .where('status', '=', LookupStatus.waitingOperator)
    .executeTakeFirstOrThrow();
  return { waiting: Number(row.n), oldestSince: row.oldest === null ? null : Number(row.oldest) };
}
