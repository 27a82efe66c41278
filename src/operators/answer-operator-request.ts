import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { Notifier } from '../queue/notifier.ts';
import type { AddressKind } from '../registries/registry.ts';
import type { Resolution } from '../registries/resolve-code.ts';
import { completeJob } from '../queue/complete-job.ts';
import { getJob } from '../queue/list-jobs.ts';
import { recordAnswer } from '../lookups/record-answer.ts';
import { enqueueLookupWebhooks } from '../webhooks/enqueue.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { normalizePec } from '../directory/pec-address.ts';
import { recordAudit, userActor } from '../audit/record-audit.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { operatorWorkerId } from './claim-operator-request.ts';

/** The source name of answers given by a person, in addresses, attempts and source health. */
export const OPERATOR_SOURCE = 'operator';

export const OPERATOR_KINDS = ['sconosciuto', 'impresa', 'professionista', 'ente', 'persona'] as const satisfies readonly AddressKind[];

export type OperatorAnswer = { outcome: 'found'; pec: string; kind?: AddressKind; note?: string | null } | { outcome: 'not_found'; note?: string | null };

export interface AnswerInput {
  user: { id: string; username: string };
  jobId: string;
  answer: OperatorAnswer;
}

export interface AnswerDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  /** The lookups' settled hook (LookupDeps.settled): completes the batch this answer finishes. */
  settled?: (requestIds: readonly string[]) => Promise<void>;
}

/** answered: false when the request stopped waiting meanwhile (the customer cancelled it): nothing was written but the job's end. */
export interface AnswerResult {
  requestId: string;
  answered: boolean;
}

/**
 * Answers a claimed request, in one transaction fenced by the person's lease on its job: the
 * job is completed, the answer written with recordAnswer (a found address has source
 * `operator`, the kind the person chose, the note as its label) with an attempt of source
 * `operator` (started when the request began to wait), the webhook delivery enqueued, and the
 * audit row added. A lease taken over by someone else (it expired) throws operator_lease_lost
 * and writes nothing. After the commit, long polls on both protocols wake at once.
 */
export async function answerOperatorRequest(deps: AnswerDeps, input: AnswerInput): Promise<AnswerResult> {
  const { answer } = input;
  const note = answer.note?.trim().slice(0, 500) || null;
  const pec = answer.outcome === 'found' ? normalizePec(answer.pec) : null;
  if (answer.outcome === 'found' && !pec) throw new CercapecError(ErrorCode.invalidArgument, 'not a valid PEC address', { field: 'pec' });
  const kind: AddressKind = answer.outcome === 'found' ? (answer.kind ?? 'sconosciuto') : 'sconosciuto';
  if (!OPERATOR_KINDS.includes(kind as (typeof OPERATOR_KINDS)[number]))
    throw new CercapecError(ErrorCode.invalidArgument, 'unknown address kind', { field: 'kind' });
  const now = deps.clock.now();
  const result = await deps.store.db.transaction().execute(async (trx) => {
    const job = await getJob(trx, input.jobId);
    if (!job || !(await completeJob(trx, input.jobId, operatorWorkerId(input.user.id)))) {
      throw new CercapecError(ErrorCode.operatorLeaseLost, 'this request is no longer yours: its lease expired and someone else took it, or it was answered');
    }
    const { requestId } = job.payload as { requestId: string };
    const before = await trx.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirst();
    const attempt = { source: OPERATOR_SOURCE, startedAt: job.createdAt, finishedAt: now, outcome: answer.outcome, error: null };
    const resolution: Exclude<Resolution, { outcome: 'error' }> = pec
      ? { outcome: 'found', source: OPERATOR_SOURCE, addresses: [{ pec, kind, source: OPERATOR_SOURCE, label: note }], attempts: [attempt] }
      : { outcome: 'not_found', attempts: [attempt] };
    if (!(await recordAnswer(trx, requestId, resolution, now))) return { requestId, answered: false, webhooks: 0 };
    const webhooks = await enqueueLookupWebhooks(trx, requestId, now);
    await recordAudit(trx, {
      at: now,
      actor: userActor(input.user.username),
      action: 'request.answer',
      target: requestId,
      before: { status: before?.status ?? null },
      after: { status: answer.outcome, pec, kind: pec ? kind : null, note },
    });
    return { requestId, answered: true, webhooks };
  });
  if (result.answered) deps.notifier.answered(result.requestId);
  if (result.webhooks > 0) deps.notifier.jobAdded(WEBHOOK_QUEUE);
  if (result.answered) await deps.settled?.([result.requestId]);
  return { requestId: result.requestId, answered: result.answered };
}
