import { sql, type RawBuilder } from 'kysely';
import { answerObservations } from '../history/answer-observations.ts';
import { openedObservation } from '../history/observe.ts';
import type { AddressObservationsTable } from '../store/schema.ts';
import type { PreparedSubmission } from './accept-lookups.ts';

/** A candidate observation row, tagged `_n` with its submission (see observationCtes). */
export type ObservationCandidate = AddressObservationsTable & { _n: number };

/**
 * The rows the answers' observations would open, one per (code, source) as observe() keeps the
 * first, each a candidate: the statement inserts it only where the source has no current row
 * for the code (history/observe.ts's baseline).
 */
export function observationCandidates(items: readonly PreparedSubmission[], now: number): ObservationCandidate[] {
  const rows: ObservationCandidate[] = [];
  items.forEach((item, n) => {
    if (!item.answer) return;
    const seen = new Set<string>();
    for (const o of answerObservations(item.code, item.answer)) {
      if (seen.has(o.source)) continue;
      seen.add(o.source);
      rows.push({ _n: n, ...openedObservation(o, now) });
    }
  });
  return rows;
}

/**
 * The CTEs that decide the observations inside the accepting statement, where they took a round
 * trip of their own before it (the current rows and the accounts' webhooks), with what
 * observe() decides in the transaction: no current row of the source for the code, a baseline
 * (`insert`); the same address (case aside) with the same validity, seen again (`touch`:
 * last_seen_at moves to now); anything else, an address changed (watch events) or a validity
 * moved, is `fallback`. `observation_plan` has one row per candidate; `blocked` is true when a
 * candidate falls back or an answered submission's account has webhooks (the transaction path
 * enqueues those): then the statement writes nothing and the group goes the transaction path.
 *
 * Needs a CTE `items` (n, account_id, answered) before it. The current row is the one observe()
 * would pick: the newest first seen that no answer superseded.
 */
export function observationCtes(candidates: readonly ObservationCandidate[]): RawBuilder<unknown> {
  return sql`candidates as (
      select e.v, (e.v->>'_n')::int as n, e.v->>'code' as code, e.v->>'source' as source, e.v->>'pec' as pec,
        (e.v->>'valid_from')::bigint as valid_from, (e.v->>'valid_to')::bigint as valid_to
      from jsonb_array_elements(${JSON.stringify(candidates)}::jsonb) e(v)),
    observation_plan as (
      select o.v, o.n, c.id as current_id, case
          when c.id is null then 'insert'
          -- is distinct from: an address that became none (or none that became one) is a change.
          when lower(o.pec) is distinct from lower(c.pec) then 'fallback'
          when coalesce(o.valid_from, c.valid_from) is distinct from c.valid_from
            or coalesce(o.valid_to, c.valid_to) is distinct from c.valid_to then 'fallback'
          else 'touch'
        end as action
      from candidates o
      left join lateral (
        select id, pec, valid_from, valid_to from address_observations a
        where a.code = o.code and a.source = o.source and a.superseded_at is null
        order by a.first_seen_at desc limit 1) c on true),
    blocked as (
      select exists (select 1 from observation_plan where action = 'fallback')
        or exists (select 1 from account_webhooks where account_id in (select account_id from items where answered)) as yes)`;
}

/** The CTEs that write the observations of accepted submissions, after `accepted`. */
export function observationWrites(now: number): RawBuilder<unknown> {
  return sql`new_observations as (
      insert into address_observations select r.* from observation_plan p
      join accepted a on a.n = p.n
      cross join lateral jsonb_populate_record(null::address_observations, p.v) r
      where p.action = 'insert'),
    touched as (
      update address_observations set last_seen_at = ${now}::bigint
      where id in (select p.current_id from observation_plan p join accepted a on a.n = p.n where p.action = 'touch')
        and last_seen_at < ${now}::bigint)`;
}
