import type { Insertable, Transaction } from 'kysely';
import type { Database, RequestsTable } from '../store/schema.ts';
import type { Resolution } from '../registries/resolve-code.ts';
import { LOOKUP_QUEUE, LookupStatus } from './lookup-status.ts';
import { enqueueLookupWebhooks } from '../webhooks/enqueue.ts';
import { insertRows, type StatementSplit } from '../store/insert-rows.ts';
import { appendLedgerRows } from '../billing/ledger.ts';
import { addJobs } from '../queue/add-job.ts';
import { addressRows, attemptRows } from './record-answer.ts';
import { recordObservations } from '../watches/record-observations.ts';
import { answerObservations } from '../history/answer-observations.ts';
import { LedgerKind } from '../billing/ledger-kind.ts';

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
  /**
   * A batch chunk's: each table's rows written `rowsPerStatement` at a time, and `pause` (a turn
   * of the event loop) awaited between statements. On SQLite each statement runs synchronously,
   * and without it a chunk's statements run as one block.
   */
  split?: StatementSplit;
}

/**
 * Stores accepted lookups inside the caller's transaction: the request (pending, blocking its
 * code for the account), its charge, and its job (or its answer, when one is given, with the
 * answer's webhook delivery). The caller has locked the account, refused duplicates and checked
 * credit; after the commit it wakes the lookup workers, and the webhook workers when deliveries
 * were enqueued (the number returned). Rows are written with one multi-row insert per table (a
 * batch writes 2,000 lookups in a handful of statements, not 10,000; see insertRows).
 */
export async function insertLookups(trx: Transaction<Database>, lookups: readonly NewLookup[], options: InsertOptions): Promise<number> {
  if (lookups.length === 0) return 0;
  const { now } = options;
  const { split } = options;
  const pause = split?.pause ?? (async () => {});
  // A known answer is written with the request itself: no pending row to update afterwards.
  await insertRows(
    trx,
    'requests',
    lookups.map((l) => requestRow(l, now)),
    split,
  );
  await pause();
  const charged = lookups.filter((l) => l.priceCents > 0);
  await appendLedgerRows(
    trx,
    charged.map((l) => ({ accountId: l.accountId, amountCents: -l.priceCents, kind: LedgerKind.charge, requestId: l.id, now })),
    split,
  );
  await pause();
  const answered = lookups.filter((l) => l.answer);
  await insertRows(
    trx,
    'attempts',
    answered.flatMap((l) => attemptRows(l.id, l.answer!.result.attempts)),
    split,
  );
  await pause();
  await insertRows(
    trx,
    'request_addresses',
    answered.flatMap((l) => addressRows(l.id, l.answer!.result, l.answer!.at)),
    split,
  );
  await pause();
  let webhooks = 0;
  if (answered.length > 0)
    webhooks += (
      await recordObservations(
        trx,
        answered.flatMap((l) => answerObservations(l.code, l.answer!.result)),
        now,
        { split },
      )
    ).webhooks;
  if (answered.length > 0) {
    // Most batches go to accounts without a webhook: one read instead of one per lookup.
    const accountIds = [...new Set(answered.map((l) => l.accountId))];
    const hooked = new Set(
      (await trx.selectFrom('account_webhooks').select('account_id').where('account_id', 'in', accountIds).execute()).map((r) => r.account_id),
    );
    for (const l of answered) {
      if (l.callbackUrl || hooked.has(l.accountId)) webhooks += await enqueueLookupWebhooks(trx, l.id, l.answer!.at);
    }
  }
  const queued = lookups.filter((l) => !l.answer);
  await addJobs(
    trx,
    queued.map((l) => ({ queue: LOOKUP_QUEUE, payload: { requestId: l.id }, now, maxAttempts: options.maxAttempts })),
  );
  return webhooks;
}

/** The request row of an accepted lookup: pending, or answered when its answer is known. */
export function requestRow(l: NewLookup, now: number): Insertable<RequestsTable> {
  const found = l.answer?.result.outcome === 'found' ? l.answer.result : null;
  return {
    id: l.id,
    account_id: l.accountId,
    code: l.code,
    kind: l.kind,
    status: l.answer ? (found ? LookupStatus.found : LookupStatus.notFound) : LookupStatus.queued,
    dedup_code: l.code,
    reference: l.reference,
    callback_url: l.callbackUrl,
    pec: found ? found.addresses[0].pec : null,
    source: found ? found.source : null,
    error_code: null,
    error_message: null,
    charged_cents: l.priceCents,
    via: l.via,
    batch_id: l.batchId ?? null,
    created_at: now,
    updated_at: now,
    answered_at: l.answer ? l.answer.at : null,
    deleted_at: null,
  };
}

/** One lookup: see insertLookups. */
export function insertLookup(trx: Transaction<Database>, lookup: NewLookup, options: InsertOptions): Promise<number> {
  return insertLookups(trx, [lookup], options);
}
