import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { JobHandler } from '../queue/worker.ts';
import type { Job } from '../queue/job.ts';
import type { Registry } from '../registries/registry.ts';
import { RegistryError } from '../registries/registry.ts';
import { resolveCode, type Attempt, type Resolution } from '../registries/resolve-code.ts';
import { refundRequest } from '../billing/ledger.ts';
import { newId } from '../ids.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { PENDING_STATUSES } from './lookup-status.ts';

export interface ProcessDeps extends LookupDeps {
  /** The chain of sources for each kind of code, in order. */
  chainFor(kind: 'cf16' | 'cf11'): readonly Registry[];
}

/** An error every source returned that retrying cannot fix. */
class ResolutionFailed extends Error {
  constructor(message: string, readonly transient: boolean) {
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

  async function storeAttempts(trx: Transaction<Database> | typeof store.db, requestId: string, attempts: Attempt[]) {
    if (attempts.length === 0) return;
    await trx
      .insertInto('attempts')
      .values(attempts.map((a) => ({ id: newId('att', a.startedAt), request_id: requestId, source: a.source, started_at: a.startedAt, finished_at: a.finishedAt, outcome: a.outcome, error: a.error?.slice(0, 1000) ?? null })))
      .execute();
  }

  async function answer(trx: Transaction<Database>, requestId: string, result: Exclude<Resolution, { outcome: 'error' }>) {
    const now = clock.now();
    const found = result.outcome === 'found';
    const updated = await trx
      .updateTable('requests')
      .set({
        status: found ? 'found' : 'not_found',
        pec: found ? result.addresses[0].pec : null,
        source: found ? result.source : null,
        answered_at: now,
        updated_at: now,
      })
      .where('id', '=', requestId)
      .where('status', 'in', PENDING_STATUSES)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    if (found) {
      await trx
        .insertInto('request_addresses')
        .values(result.addresses.map((a, position) => ({ request_id: requestId, position, pec: a.pec, source: a.source, kind: a.kind, dataset_id: a.datasetId ?? null, label: a.label ?? null, found_at: now })))
        .execute();
    }
    return true;
  }

  return {
    async run(job: Job, ctx) {
      const { requestId } = job.payload as { requestId: string };
      const request = await store.db
        .selectFrom('requests')
        .select(['id', 'code', 'kind', 'status', 'reference'])
        .where('id', '=', requestId)
        .executeTakeFirst();
      if (!request || !PENDING_STATUSES.includes(request.status)) {
        // Cancelled or already answered: nothing to do but retire the job.
        await store.db.transaction().execute((trx) => ctx.complete(trx));
        return;
      }
      const result = await resolveCode(
        deps.chainFor(request.kind),
        { requestId, code: request.code, kind: request.kind, reference: request.reference },
        clock,
        ctx.signal,
      );
      if (result.outcome === 'error') {
        await storeAttempts(store.db, requestId, result.attempts);
        throw new ResolutionFailed(result.message, result.transient);
      }
      const answered = await store.db.transaction().execute(async (trx) => {
        await ctx.complete(trx);
        await storeAttempts(trx, requestId, result.attempts);
        return answer(trx, requestId, result);
      });
      if (answered) notifier.answered(requestId);
    },

    async giveUp(trx, job, error) {
      const { requestId } = job.payload as { requestId: string };
      const now = clock.now();
      const updated = await trx
        .updateTable('requests')
        .set({
          status: 'failed',
          error_code: 'lookup_failed',
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
    },

    afterGiveUp(job) {
      notifier.answered((job.payload as { requestId: string }).requestId);
    },

    isPermanent(error) {
      if (error instanceof ResolutionFailed) return !error.transient;
      if (error instanceof RegistryError) return !error.transient;
      return false;
    },
  };
}
