import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type ExpressionBuilder } from 'kysely';
import type { Account } from '../accounts/api-keys.ts';
import { balanceOf, canSpend } from '../billing/balance.ts';
import { newBulkToken } from '../ids.ts';
import { insertLookups } from '../lookups/insert-lookup.ts';
import type { LookupDeps } from '../lookups/lookup-deps.ts';
import { LOOKUP_QUEUE } from '../lookups/lookup-status.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import type { Store } from '../store/store.ts';
import { runBulk } from '../store/bulk-writes.ts';
import type { Database } from '../store/schema.ts';
import type { StatementSplit } from '../store/insert-rows.ts';
import { REFUSED_ROW_ERROR } from './batch-status.ts';
import { resolveMany, type DefiniteResolution } from '../registries/resolve-many.ts';
import { BillingMode } from '../billing/billing-mode.ts';

/**
 * Distinct valid codes of the batch that the account has no present request for: the lookups
 * the batch would create, and charge. Rows whose code the account already has will share
 * that request; duplicates within the batch share one.
 */
export async function countNewCodes(store: Store, accountId: string, batchId: string): Promise<{ distinct: number; fresh: number }> {
  const row = await store.db
    .selectFrom('batch_rows as br')
    .leftJoin('requests as r', (join) => join.on('r.account_id', '=', accountId).onRef('r.dedup_code', '=', 'br.code'))
    .select([sql<number>`count(distinct br.code)`.as('distinct'), sql<number>`count(distinct case when r.id is null then br.code end)`.as('fresh')])
    .where('br.batch_id', '=', batchId)
    .where('br.code', 'is not', null)
    .executeTakeFirstOrThrow();
  return { distinct: Number(row.distinct), fresh: Number(row.fresh) };
}

/** Rows per transaction: fewer commits; a chunk holds the event loop about 0.1 s in the million-code benchmark. */
const LOOKUP_CHUNK = 2000;

/**
 * Rows per statement within a chunk (its inserts, the linking update, the directory reads), with
 * a turn of the event loop between statements: on SQLite a 500-row insert holds the event loop
 * 1-5 ms, a 2,000-row one up to 30.
 */
const STATEMENT_ROWS = 500;
const CHUNK_SPLIT: StatementSplit = { rowsPerStatement: STATEMENT_ROWS, pause: () => nextTurn() };

/**
 * Gives every valid row its lookup, LOOKUP_CHUNK rows per transaction with the account locked: a code
 * the account has (from before, or from an earlier chunk of this batch) is linked as it is;
 * a new one gets a request, its charge and its job (insertLookups). Credit is checked again in
 * every chunk, because other requests may have spent it since the upfront check: rows that can
 * no longer be paid are marked refused instead of charging past the limit. Returns the lookups
 * created.
 */
export async function createBatchLookups(deps: LookupDeps, account: Account, batchId: string, totalRows: number): Promise<number> {
  let created = 0;
  for (let from = 0; from < totalRows; from += LOOKUP_CHUNK) {
    const made = await createChunk(deps, account, batchId, from, from + LOOKUP_CHUNK);
    // Wake the workers after each commit: the first answers come while later chunks are written.
    if (made > 0) deps.notifier.jobAdded(LOOKUP_QUEUE);
    created += made;
    // better-sqlite3 answers synchronously, so without a turn of the event loop between chunks
    // the chunks of a 100,000-row batch ran as one 3.5 s block, stalling every other request.
    await nextTurn();
  }
  return created;
}

/** The rows of a chunk that have a valid code and no lookup yet: what the chunk has left to do. */
function unlinkedRows(batchId: string, from: number, to: number) {
  return (eb: ExpressionBuilder<Database, 'batch_rows'>) =>
    eb.and([eb('batch_id', '=', batchId), eb('row_index', '>=', from), eb('row_index', '<', to), eb('code', 'is not', null), eb('request_id', 'is', null)]);
}

async function createChunk(deps: LookupDeps, account: Account, batchId: string, from: number, to: number): Promise<number> {
  const { store, clock } = deps;
  // Read once, before the transaction, for the directory and for the chunk: nothing but this
  // upload writes the rows of a batch being uploaded.
  const rows = await store.db
    .selectFrom('batch_rows')
    .select('code')
    .where(unlinkedRows(batchId, from, to))
    .orderBy('row_index')
    .execute();
  const codes = [...new Set(rows.map((r) => r.code!))];
  if (codes.length === 0) return 0;
  const answers = await answerInline(deps, account, codes);
  let webhooks = 0;
  // On a SQLite file the transaction runs on the bulk writer's thread (store/worker-writer.ts):
  // the event loop answers polls while SQLite writes the chunk.
  const made = await runBulk(store, (db) =>
    db.transaction().execute(async (trx) => {
      await store.dialect.lockAccount(trx, account.id);
      const present = await trx.selectFrom('requests').select('dedup_code').where('account_id', '=', account.id).where('dedup_code', 'in', codes).execute();
      const known = new Set(present.map((r) => r.dedup_code));
      const fresh = codes.filter((c) => !known.has(c));
      const price = account.price_cents;
      let affordable = fresh.length;
      // An account without a credit limit can always pay: its balance need not even be read.
      const unlimited = account.billing_mode === BillingMode.postpaid && account.credit_limit_cents === null;
      if (price > 0 && affordable > 0 && !unlimited) {
        const balance = await balanceOf(trx, account.id);
        while (affordable > 0 && !canSpend(account, balance, price * affordable)) affordable--;
      }
      const now = clock.now();
      webhooks = await insertLookups(
        trx,
        fresh.slice(0, affordable).map((code) => ({
          id: newBulkToken(now),
          accountId: account.id,
          code,
          kind: code.length === 16 ? ('cf16' as const) : ('cf11' as const),
          reference: account.default_reference,
          callbackUrl: null,
          priceCents: price,
          via: 'batch' as const,
          batchId,
          answer: answers.has(code) ? { result: answers.get(code)!, at: now } : null,
        })),
        // A turn of the event loop between statements: polls (read on their own connection) are
        // answered while a chunk is written, instead of after it.
        { now, maxAttempts: deps.maxAttempts, split: CHUNK_SPLIT },
      );
      // Linked STATEMENT_ROWS at a time, a turn of the event loop before each.
      for (let part = from; part < to; part += STATEMENT_ROWS) {
        await nextTurn();
        await trx
          .updateTable('batch_rows')
          .set((eb) => ({
            request_id: eb
              .selectFrom('requests')
              .select('requests.id')
              .where('requests.account_id', '=', account.id)
              .whereRef('requests.dedup_code', '=', 'batch_rows.code'),
          }))
          .where(unlinkedRows(batchId, part, Math.min(to, part + STATEMENT_ROWS)))
          .execute();
      }
      if (affordable < fresh.length) {
        await trx
          .updateTable('batch_rows')
          .set({ error: REFUSED_ROW_ERROR })
          .where(unlinkedRows(batchId, from, to))
          .execute();
      }
      return affordable;
    }),
  );
  // Lookups answered while created have their webhooks queued already: wake the deliverers.
  if (webhooks > 0) deps.notifier.jobAdded(WEBHOOK_QUEUE);
  return made;
}

/**
 * The chunk's codes that the inline sources (the local directory) answer, read in one query per
 * kind before the chunk's transaction (on SQLite a read inside it would wait for the connection
 * the transaction holds): those lookups are written answered, and never travel through the
 * queue one by one. Codes the account already has are asked too; their answers go unused.
 */
async function answerInline(deps: LookupDeps, account: Account, codes: readonly string[]): Promise<Map<string, DefiniteResolution>> {
  const answers = new Map<string, DefiniteResolution>();
  if (!deps.inline) return answers;
  for (const kind of ['cf11', 'cf16'] as const) {
    const ofKind = codes.filter((c) => (c.length === 16 ? 'cf16' : 'cf11') === kind);
    // A miss is final only when nobody else would look: no other source, and no operator.
    const wholeChain = deps.inline.isWholeChain(kind) && Number(account.operator_fallback ?? 0) !== 1;
    for (let from = 0; from < ofKind.length; from += STATEMENT_ROWS) {
      if (from > 0) await nextTurn();
      const slice = ofKind.slice(from, from + STATEMENT_ROWS);
      for (const [code, answer] of await resolveMany(deps.inline.chainFor(kind), kind, slice, deps.clock, wholeChain)) answers.set(code, answer);
    }
  }
  return answers;
}
