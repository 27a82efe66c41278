import type { Store } from '../store/store.ts';
import { claimJob, claimJobs } from '../queue/claim-jobs.ts';
import { completeJob } from '../queue/complete-job.ts';
import { extendLeases, heldJobs, returnJobs } from '../queue/leases.ts';
import type { Job } from '../queue/job.ts';
import { OPERATOR_QUEUE } from '../lookups/enqueue-operator.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { LookupStatus } from '../lookups/lookup-status.ts';

/** The queue's worker id of a person: their lease fences their answer like a worker's. */
export function operatorWorkerId(userId: string): string {
  return `operator:${userId}`;
}

export interface OperatorClaim {
  jobId: string;
  requestId: string;
  /** When the request started waiting for a person (the job's creation). */
  waitingSince: number;
  lockedUntil: number;
}

export interface ClaimInput {
  userId: string;
  now: number;
  leaseMs: number;
  /** A particular job from the list; absent: the oldest waiting. */
  jobId?: string;
  /** Records the claim in the audit log. */
  audit?: AuditBy;
}

function toClaim(job: Job): OperatorClaim {
  return { jobId: job.id, requestId: (job.payload as { requestId: string }).requestId, waitingSince: job.createdAt, lockedUntil: job.lockedUntil };
}

/** The request this person holds now (lease not expired), if any: one at a time per person. */
export async function heldRequest(store: Store, userId: string, now: number): Promise<OperatorClaim | null> {
  const [job] = await heldJobs(store.db, OPERATOR_QUEUE, operatorWorkerId(userId), now);
  return job ? toClaim(job) : null;
}

/**
 * Claims a waiting request with the queue's own lease (SKIP LOCKED on PostgreSQL), so two
 * people never work the same one; a lease that ran out is taken over like a dead worker's.
 * A person already holding one gets that one back. Jobs whose request no longer waits (the
 * customer cancelled it) are retired on the way. null: nothing to claim (or that job is gone).
 */
export async function claimOperatorRequest(store: Store, input: ClaimInput): Promise<OperatorClaim | null> {
  const held = await heldRequest(store, input.userId, input.now);
  if (held) return held;
  const workerId = operatorWorkerId(input.userId);
  for (let tries = 0; tries < 50; tries++) {
    const job = input.jobId
      ? await claimJob(store, input.jobId, { queue: OPERATOR_QUEUE, workerId, leaseMs: input.leaseMs, now: input.now })
      : (await claimJobs(store, { queue: OPERATOR_QUEUE, workerId, limit: 1, leaseMs: input.leaseMs, now: input.now }))[0];
    if (!job) return null;
    const { requestId } = job.payload as { requestId: string };
    const request = await store.db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirst();
    if (request?.status === LookupStatus.waitingOperator) {
      if (input.audit)
        await recordAudit(store.db, {
          at: input.now,
          actor: input.audit.actor,
          action: 'request.claim',
          target: requestId,
          after: { job_id: job.id, locked_until: job.lockedUntil },
        });
      return toClaim(job);
    }
    await completeJob(store.db, job.id, workerId);
    if (input.jobId) return null;
  }
  return null;
}

/** Pushes the lease of a held request (each view of it does). false: this person no longer holds it. */
export async function renewOperatorLease(store: Store, userId: string, jobId: string, now: number, leaseMs: number): Promise<boolean> {
  const held = await extendLeases(store, operatorWorkerId(userId), [jobId], now + leaseMs, now);
  return held.length === 1;
}

/**
 * Hands a request back to the queue, in its place (run_at is kept: it stays the oldest), without
 * counting the claim as an attempt.
 */
export async function releaseOperatorRequest(store: Store, userId: string, jobId: string, now: number, audit?: AuditBy): Promise<boolean> {
  return store.db.transaction().execute(async (trx) => {
    const [job] = await returnJobs(trx, operatorWorkerId(userId), [jobId], now);
    if (!job) return false;
    const { requestId } = job.payload as { requestId: string };
    if (audit) await recordAudit(trx, { at: now, actor: audit.actor, action: 'request.release', target: requestId, after: { job_id: jobId } });
    return true;
  });
}
