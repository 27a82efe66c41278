import type { Insertable, Kysely, Transaction } from 'kysely';
import type { AttemptsTable, Database, RequestAddressesTable } from '../store/schema.ts';
import { insertRows } from '../store/insert-rows.ts';
import type { Attempt, Resolution } from '../registries/resolve-code.ts';
import { newId } from '../ids.ts';
import { LookupStatus, PENDING_STATUSES } from './lookup-status.ts';
import { recordObservations } from '../watches/record-observations.ts';
import { answerObservations } from '../history/answer-observations.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Attempt rows: the sources asked for a request, with their outcome (the back office shows them). */
export function attemptRows(requestId: string, attempts: readonly Attempt[]): Insertable<AttemptsTable>[] {
  return attempts.map((a) => ({
    id: newId('att', a.startedAt),
    request_id: requestId,
    source: a.source,
    started_at: a.startedAt,
    finished_at: a.finishedAt,
    outcome: a.outcome,
    error: a.error?.slice(0, 1000) ?? null,
  }));
}

/** Address rows of a found answer, in the order the sources gave them (the first is the primary). */
export function addressRows(requestId: string, result: Exclude<Resolution, { outcome: 'error' }>, foundAt: number): Insertable<RequestAddressesTable>[] {
  if (result.outcome !== 'found') return [];
  return result.addresses.map((a, position) => ({
    request_id: requestId,
    position,
    pec: a.pec,
    source: a.source,
    kind: a.kind,
    dataset_id: a.datasetId ?? null,
    label: a.label ?? null,
    profession: a.profession ?? null,
    valid_from: a.validFrom ?? null,
    valid_until: a.validUntil ?? null,
    found_at: foundAt,
  }));
}

/** Stores attempts of a request (see attemptRows). */
export async function recordAttempts(db: Db, requestId: string, attempts: Attempt[]): Promise<void> {
  await insertRows(db, 'attempts', attemptRows(requestId, attempts));
}

/**
 * Writes a definite answer (found with its addresses, or not found) and its attempts, only while
 * the request is still pending: false when it was answered or cancelled meanwhile, and then
 * nothing is written. The answer is also an observation of the code's address (history/). Call it inside the transaction that also retires the work.
 */
export async function recordAnswer(
  trx: Transaction<Database>,
  requestId: string,
  result: Exclude<Resolution, { outcome: 'error' }>,
  now: number,
): Promise<boolean> {
  const found = result.outcome === 'found';
  const updated = await trx
    .updateTable('requests')
    .set({
      status: found ? LookupStatus.found : LookupStatus.notFound,
      pec: found ? result.addresses[0].pec : null,
      source: found ? result.source : null,
      answered_at: now,
      updated_at: now,
    })
    .where('id', '=', requestId)
    .where('status', 'in', PENDING_STATUSES)
    .returning('code')
    .executeTakeFirst();
  if (!updated) return false;
  await recordObservations(trx, answerObservations(updated.code, result), now);
  await recordAttempts(trx, requestId, result.attempts);
  await insertRows(trx, 'request_addresses', addressRows(requestId, result, now));
  return true;
}
