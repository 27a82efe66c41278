import type { JobHandler } from '../queue/worker.ts';
import type { Job } from '../queue/job.ts';
import type { Registry } from '../registries/registry.ts';
import { RegistryError } from '../registries/registry.ts';
import { resolveCode } from '../registries/resolve-code.ts';
import { recordAnswer, recordAttempts } from './record-answer.ts';
import { refundRequest } from '../billing/ledger.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { LookupStatus, PENDING_STATUSES } from './lookup-status.ts';
// webhooks: the delivery is enqueued in the transaction that answers (docs/webhooks.md)
import { enqueueLookupWebhooks } from '../webhooks/enqueue.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { enqueueOperatorRequest } from './enqueue-operator.ts';

export interface ProcessDeps extends LookupDeps {
  /** The chain of sources for each kind of code, in order. */
  chainFor(kind: 'cf16' | 'cf11'): readonly Registry[];
  /** A request unanswered this long after it was accepted fails with a refund (registries file). */
  deadlineMs?: number;
}

const DEADLINE_MESSAGE = 'tempo massimo di ricerca superato';

/** An error every source returned that retrying cannot fix. */
class ResolutionFailed extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly code = 'lookup_failed',
  ) {
    super(message);
  }
}

/**
 * The job that answers a lookup. The answer, the addresses and the job's completion are written
 * in one transaction fenced by the job's lease, and only while the request is still pending:
 * a request is answered exactly once, and a cancelled one never is.
 */
export function createLookupHandler(deps: ProcessDeps): JobHandler {
  const { store, clock, notifier } = deps;

  return {
    async run(job: Job, ctx) {
      const { requestId } = job.payload as { requestId: string };
      const request = await store.db
        .selectFrom('requests')
        .innerJoin('accounts', 'accounts.id', 'requests.account_id')
        .select([
          'requests.id',
          'requests.code',
          'requests.kind',
          'requests.status',
          'requests.reference',
          'requests.created_at',
          'accounts.default_reference',
          'accounts.operator_fallback',
        ])
        .where('requests.id', '=', requestId)
        .executeTakeFirst();
      if (!request || request.status === LookupStatus.waitingOperator || !PENDING_STATUSES.includes(request.status)) {
        // Cancelled, answered, or with the operators now: nothing to do but retire the job. Through
        // ctx.complete, not the batched path: a worker fenced out must learn it (LeaseLostError).
        await store.db.transaction().execute((trx) => ctx.complete(trx));
        return;
      }
      const deadline = Number(request.created_at) + (deps.deadlineMs ?? Number.POSITIVE_INFINITY);
      if (clock.now() >= deadline) throw new ResolutionFailed(DEADLINE_MESSAGE, false, 'deadline_exceeded');
      // The search stops at the deadline, wherever it is; what was asked is recorded.
      const signal = Number.isFinite(deadline) ? AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1, deadline - clock.now()))]) : ctx.signal;
      const result = await resolveCode(
        deps.chainFor(request.kind),
        // INAD needs a purpose: the customer's, or the account's default.
        { requestId, code: request.code, kind: request.kind, reference: request.reference ?? request.default_reference },
        clock,
        signal,
      );
      if (result.outcome === 'error') {
        await recordAttempts(store.db, requestId, result.attempts);
        if (clock.now() >= deadline) throw new ResolutionFailed(`${DEADLINE_MESSAGE} (${result.message})`, false, 'deadline_exceeded');
        throw new ResolutionFailed(result.message, result.transient);
      }
      if (result.outcome === 'not_found' && Number(request.operator_fallback) === 1) {
        // No source knew it, and the account pays for a person to look.
        await store.db.transaction().execute(async (trx) => {
          await ctx.complete(trx);
          const now = clock.now();
          const moved = await trx
            .updateTable('requests')
            .set({ status: LookupStatus.waitingOperator, updated_at: now })
            .where('id', '=', requestId)
            .where('status', 'in', [LookupStatus.queued, LookupStatus.running])
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) === 0) return;
          await recordAttempts(trx, requestId, result.attempts);
          await enqueueOperatorRequest(trx, requestId, now);
        });
        return;
      }
      const answered = await store.db.transaction().execute(async (trx) => {
        await ctx.complete(trx);
        const now = clock.now();
        if (!(await recordAnswer(trx, requestId, result, now))) return false;
        // webhooks: with the answer or not at all (a fenced-out or rolled-back try adds none)
        return { webhooks: await enqueueLookupWebhooks(trx, requestId, now) };
      });
      if (!answered) return;
      notifier.answered(requestId);
      if (answered.webhooks > 0) notifier.jobAdded(WEBHOOK_QUEUE);
      await deps.settled?.([requestId]);
    },

    async giveUp(trx, job, error) {
      const { requestId } = job.payload as { requestId: string };
      const now = clock.now();
      const updated = await trx
        .updateTable('requests')
        .set({
          status: LookupStatus.failed,
          error_code: error instanceof ResolutionFailed ? error.code : 'lookup_failed',
          error_message: error instanceof Error ? error.message.slice(0, 500) : 'errore tecnico',
          // A failed request does not block a new one for the same code.
          dedup_code: null,
          answered_at: now,
          updated_at: now,
        })
        .where('id', '=', requestId)
        .where('status', 'in', PENDING_STATUSES)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return;
      await refundRequest(trx, requestId, now, 'ricerca non riuscita per errore tecnico');
      // webhooks: a failed lookup is answered too
      await enqueueLookupWebhooks(trx, requestId, now);
    },

    async afterGiveUp(job) {
      const { requestId } = job.payload as { requestId: string };
      notifier.answered(requestId);
      notifier.jobAdded(WEBHOOK_QUEUE); // webhooks: a spare wake-up when none was enqueued costs one claim query
      await deps.settled?.([requestId]);
    },

    isPermanent(error) {
      if (error instanceof ResolutionFailed) return !error.transient;
      if (error instanceof RegistryError) return !error.transient;
      return false;
    },
  };
}
