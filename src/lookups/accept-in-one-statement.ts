import { sql, type RawBuilder } from 'kysely';
import { CercapecError, ErrorCode } from '../errors.ts';
import { AccountStatus } from '../accounts/account-status.ts';
import { BillingMode } from '../billing/billing-mode.ts';
import { chargeLedgerCtes } from '../billing/ledger.ts';
import { newId } from '../ids.ts';
import { jobRow } from '../queue/add-job.ts';
import { executePrepared } from '../store/execute-prepared.ts';
import type { Database } from '../store/schema.ts';
import { requestRow, type NewLookup } from './insert-lookup.ts';
import { LOOKUP_QUEUE } from './lookup-status.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { addressRows, attemptRows } from './record-answer.ts';
import type { Acceptance, PreparedSubmission } from './accept-lookups.ts';
import { observationCandidates, observationCtes, observationWrites } from './one-statement-observations.ts';

type Verdict = 'disabled' | 'conflict' | 'replay' | 'duplicate' | 'short' | 'accepted';

/**
 * Accepts a group of submissions in one statement that commits on its own (PostgreSQL: one
 * round trip and the commit's WAL flush, where the transaction took one round trip per
 * statement, about ten). The statement locks the accounts' rows, reads their terms, the
 * idempotency keys and the requests that block the codes, decides each submission exactly as
 * acceptLookups does (disabled, idempotency conflict or replay, duplicate, insufficient credit,
 * accepted: the k-th new submission of an account at price p is accepted while balance - k * p
 * stays above minus its credit limit, refusals spending nothing), and writes the accepted ones:
 * requests, charges and balances (billing/ledger.ts), idempotency keys, attempts, addresses,
 * observations and jobs. Rows are built here, as the transaction path builds them, and the
 * statement inserts those of accepted submissions only. The answers' observations are decided
 * in the statement too (one-statement-observations.ts), where they took a round trip before it.
 *
 * Returns null when the group needs the transaction path: the dialect cannot, two submissions
 * share a code or an idempotency key (the second's outcome depends on the first's), or (found
 * by the statement, which then writes nothing) an answer would enqueue a webhook or an
 * observation would change an address (watch events) or its validity. Its reads
 * share one snapshot, taken before the lock is granted: a request or key committed meanwhile by
 * another writer makes a unique index fail the statement, and the caller decides again in a
 * transaction that reads after locking.
 */
export async function acceptInOneStatement(deps: LookupDeps, items: readonly PreparedSubmission[]): Promise<Acceptance[] | null> {
  if (!deps.store.dialect.oneStatementWrites || !fitsOneStatement(items)) return null;
  const now = deps.clock.now();
  const answered = items.filter((i) => i.answer);

  const nOf = new Map(items.map((item, n) => [item.code, n]));
  const tagged = <T extends object>(code: string, rows: readonly T[]) => rows.map((r) => ({ ...r, _n: nOf.get(code) }));
  const rows = {
    requests: items.flatMap((item) => tagged(item.code, [requestRow(newLookupOf(item, 0, now), now)])),
    attempts: answered.flatMap((item) => tagged(item.code, attemptRows(item.id, item.answer!.attempts))),
    addresses: answered.flatMap((item) => tagged(item.code, addressRows(item.id, item.answer!, now))),
    jobs: items
      .filter((item) => !item.answer)
      .flatMap((item) => tagged(item.code, [jobRow({ queue: LOOKUP_QUEUE, payload: { requestId: item.id }, now, maxAttempts: deps.maxAttempts })])),
  };
  const submissions = items.map((item, n) => ({
    n,
    account_id: item.account.id,
    code: item.code,
    idem_key: item.idempotency?.key ?? null,
    body_hash: item.idempotency?.bodyHash ?? null,
    request_id: item.id,
    ledger_id: newId('led', now),
    answered: item.answer !== null,
  }));

  const decided = await executePrepared(
    deps.store,
    sql<{ n: number; verdict: Verdict; replay_id: string | null; existing_id: string | null; blocked: boolean }>`
    with items as (
      select * from jsonb_to_recordset(${JSON.stringify(submissions)}::jsonb)
        as i(n int, account_id text, code text, idem_key text, body_hash text, request_id text, ledger_id text, answered boolean)),
    ${observationCtes(observationCandidates(items, now))},
    terms as materialized (
      select id, balance_cents, price_cents, billing_mode, credit_limit_cents, status from accounts
      where id in (select account_id from items) order by id for update),
    replays as (
      select account_id, key, body_hash, request_id from idempotency_keys
      where (account_id, key) in (select account_id, idem_key from items where idem_key is not null)),
    existing as (
      select account_id, dedup_code, id from requests where (account_id, dedup_code) in (select account_id, code from items)),
    checked as (
      select i.*, t.price_cents as price, t.balance_cents as balance, r.request_id as replay_id, e.id as existing_id,
        coalesce(t.credit_limit_cents, case when t.billing_mode = ${BillingMode.postpaid}::text then null else 0 end) as credit_limit,
        case
          when t.id is null or t.status <> ${AccountStatus.active}::text then 'disabled'
          when r.request_id is not null and r.body_hash <> i.body_hash then 'conflict'
          when r.request_id is not null then 'replay'
          when e.id is not null then 'duplicate'
        end as refusal
      from items i
      left join terms t on t.id = i.account_id
      left join replays r on r.account_id = i.account_id and r.key = i.idem_key
      left join existing e on e.account_id = i.account_id and e.dedup_code = i.code),
    decided as (
      select c.*, case
          when refusal is not null then refusal
          when price <= 0 or credit_limit is null then 'accepted'
          when balance - price * count(*) filter (where refusal is null) over (partition by account_id order by n) >= -credit_limit then 'accepted'
          else 'short'
        end as verdict
      from checked c),
    accepted as (select * from decided where verdict = 'accepted' and not (select yes from blocked)),
    new_requests as (
      insert into requests select r.* from jsonb_array_elements(${JSON.stringify(rows.requests)}::jsonb) e(v)
      join accepted a on a.n = (e.v->>'_n')::int
      cross join lateral jsonb_populate_record(null::requests, e.v || jsonb_build_object('charged_cents', a.price)) r),
    ${chargeLedgerCtes('accepted', now)},
    new_keys as (
      insert into idempotency_keys (account_id, key, body_hash, request_id, created_at)
      select account_id, idem_key, body_hash, request_id, ${now}::bigint from accepted where idem_key is not null),
    ${insertAccepted('new_attempts', 'attempts', rows.attempts)},
    ${insertAccepted('new_addresses', 'request_addresses', rows.addresses)},
    ${insertAccepted('new_jobs', 'jobs', rows.jobs)},
    ${observationWrites(now)}
    select n, verdict, replay_id, existing_id, (select yes from blocked) as blocked from decided order by n`.compile(deps.store.db),
  );
  // An observation the statement cannot write (a changed address, a moved validity) or an
  // account with webhooks: nothing was written, the transaction path decides the group.
  if (decided[0]?.blocked) return null;

  return decided.map((d, n): Acceptance => {
    switch (d.verdict) {
      case 'accepted':
        return { ok: true, id: items[n].id, replayed: false, webhooks: 0 };
      case 'replay':
        return { ok: true, id: d.replay_id!, replayed: true, webhooks: 0 };
      case 'disabled':
        return { ok: false, error: new CercapecError(ErrorCode.keyInvalid, 'the account is disabled') };
      case 'conflict':
        return { ok: false, error: new CercapecError(ErrorCode.idempotencyConflict, 'this Idempotency-Key was used with another request body') };
      case 'duplicate':
        return { ok: false, error: new CercapecError(ErrorCode.duplicateRequest, 'a request for this code is already present', { id: d.existing_id }) };
    }
    return { ok: false, error: new CercapecError(ErrorCode.insufficientCredit, 'insufficient credit') };
  });
}

/** Submissions whose outcomes do not depend on each other: no code, and no account's idempotency key, twice. */
function fitsOneStatement(items: readonly PreparedSubmission[]): boolean {
  const codes = new Set(items.map((i) => i.code));
  const keys = new Set(items.flatMap((i) => (i.idempotency ? [`${i.account.id}\n${i.idempotency.key}`] : [])));
  const withKey = items.filter((i) => i.idempotency).length;
  // An answer with a callback URL enqueues its delivery: the transaction path does that.
  return codes.size === items.length && keys.size === withKey && !items.some((i) => i.answer && i.callbackUrl);
}

/** A CTE inserting the rows (whole rows of `table`, tagged `_n` with their submission) of accepted submissions. */
function insertAccepted(name: string, table: keyof Database & string, rows: readonly object[]): RawBuilder<unknown> {
  return sql`${sql.id(name)} as (
      insert into ${sql.table(table)} select r.* from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) e(v)
      join accepted a on a.n = (e.v->>'_n')::int
      cross join lateral jsonb_populate_record(null::${sql.table(table)}, e.v) r)`;
}

/** The lookup an accepted submission stores, charged at the price read from its locked account. */
export function newLookupOf(item: PreparedSubmission, priceCents: number, now: number): NewLookup {
  return {
    id: item.id,
    accountId: item.account.id,
    code: item.code,
    kind: item.kind,
    reference: item.reference,
    callbackUrl: item.callbackUrl,
    priceCents,
    via: item.via,
    answer: item.answer ? { result: item.answer, at: now } : null,
  };
}
