import type { Transaction } from 'kysely';
import type { Database, RequestsTable } from '../store/schema.ts';
import type { Resolution } from '../registries/resolve-code.ts';
import { newId } from '../ids.ts';
import { LOOKUP_QUEUE } from './lookup-status.ts';
import { recordAnswer } from './record-answer.ts';
import { enqueueLookupWebhooks } from '../webhooks/enqueue.ts';

export interface NewLookup {
  /** The token handed to the customer. */
  id: string;
  accountId: string;
  /** Normalised and valid (validateTaxId). */
  code: string;
  kind: 'cf16' | 'cf11';
  reference: string | null;
  callbackUrl: string | null;
  /** Charged now when above zero. */
  priceCents: number;
  via: RequestsTable['via'];
  batchId?: string | null;
  /** An answer already known (inline sources): recorded instead of queueing a job. */
  answer?: { result: Exclude<Resolution, { outcome: 'error' }>; at: number } | null;
}

export interface InsertOptions {
  now: number;
  /** Attempts of the job before the request fails for good. */
  maxAttempts: number;
}

/**
 * Stores accepted lookups inside the caller's transaction: the request (pending, blocking its
 * code for the account), its charge, and its job (or its answer, when one is given, with the
 * answer's webhook delivery). The caller has locked the account, refused duplicates and checked
 * credit; after the commit it wakes the lookup workers, and the webhook workers when deliveries
 * were enqueued (the number returned). Rows are written with one multi-row insert per table (a
 * batch writes 500 lookups in 3 statements, not 1,500).
 */
export async function insertLookups(trx: Transaction<Database>, lookups: readonly NewLookup[], options: InsertOptions): Promise<number> {
  if (lookups.length === 0) return 0;
  const { now } = options;
  await trx
    .insertInto('requests')
    .values(lookups.map((l) => ({
      id: l.id,
      account_id: l.accountId,
      code: l.code,
      kind: l.kind,
      status: 'queued' as const,
      dedup_code: l.code,
      reference: l.reference,
      callback_url: l.callbackUrl,
      pec: null,
      source: null,
      error_code: null,
      error_message: null,
      charged_cents: l.priceCents,
      via: l.via,
      batch_id: l.batchId ?? null,
      created_at: now,
      updated_at: now,
      answered_at: null,
      deleted_at: null,
    })))
    .execute();
  const charged = lookups.filter((l) => l.priceCents > 0);
  if (charged.length > 0) {
    await trx
      .insertInto('ledger')
      .values(charged.map((l) => ({ id: newId('led', now), account_id: l.accountId, amount_cents: -l.priceCents, kind: 'charge' as const, request_id: l.id, reason: null, created_at: now })))
      .execute();
  }
  let webhooks = 0;
  for (const l of lookups) {
    if (l.answer && (await recordAnswer(trx, l.id, l.answer.result, l.answer.at))) {
      webhooks += await enqueueLookupWebhooks(trx, l.id, l.answer.at);
    }
  }
  const queued = lookups.filter((l) => !l.answer);
  if (queued.length > 0) {
    await trx
      .insertInto('jobs')
      .values(queued.map((l) => ({
        id: newId('job', now),
        queue: LOOKUP_QUEUE,
        payload: JSON.stringify({ requestId: l.id }),
        status: 'queued' as const,
        run_at: now,
        attempts: 0,
        max_attempts: options.maxAttempts,
        locked_by: null,
        locked_until: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })))
      .execute();
  }
  return webhooks;
}

/** One lookup: see insertLookups. */
export function insertLookup(trx: Transaction<Database>, lookup: NewLookup, options: InsertOptions): Promise<number> {
  return insertLookups(trx, [lookup], options);
}
