import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { addJob } from '../queue/add-job.ts';

/** The queue operators claim from the back office; lookup workers never claim it. */
export const OPERATOR_QUEUE = 'operator';

/**
 * Hands a request no source could answer to the people: a job in the operator queue, claimed
 * with the queue's own lease so two operators never work the same request. Call it in the
 * transaction that moves the request to waiting_operator.
 */
export async function enqueueOperatorRequest(trx: Transaction<Database>, requestId: string, now: number): Promise<void> {
  // Operators may take days; the job never expires by attempts.
  await addJob(trx, { queue: OPERATOR_QUEUE, payload: { requestId }, now, maxAttempts: 1000 });
}
