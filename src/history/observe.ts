import type { Kysely, Transaction } from 'kysely';
import type { AddressObservationsTable, Database } from '../store/schema.ts';
import { insertRows, type StatementSplit } from '../store/insert-rows.ts';
import { newId } from '../ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** One answer of one source about one code. */
export interface Observation {
  code: string;
  source: string;
  /** null: the source has no address for the code (not found, ceased). */
  pec: string | null;
  kind?: string | null;
  validFrom?: number | null;
  validTo?: number | null;
}

/** An observation that differs from the source's previous one about the code. */
export interface AddressChange {
  code: string;
  source: string;
  before: string | null;
  after: string | null;
  /** The new observation's id: an event is made once per (account, observation). */
  observationId: string;
  at: number;
}

export interface ObserveOptions {
  /**
   * false: an unchanged answer leaves its row alone (re-checks of local datasets, whose current
   * rows stay valid until a re-check supersedes them: no million updates per import).
   */
  touch?: boolean;
  /** New rows in smaller statements with a pause between them (a batch chunk: see StatementSplit). */
  split?: StatementSplit;
}

/** Codes per read of current rows: one IN list, well under both dialects' parameter limits. */
const CHUNK = 1000;

const same = (a: string | null, b: string | null) => (a === null || b === null ? a === b : a.toLowerCase() === b.toLowerCase());

/**
 * Records observations and returns the changes among them. The same address from the same
 * source extends the current row (last_seen_at, and validity when the source now gives it);
 * another address, or none, closes the current row (superseded_at) and opens a new one. The
 * first observation of a code by a source is its baseline: no change. Run it in the
 * transaction that writes the answer, so an answer and its history commit together; the
 * changes it returns are made into watch events in the same transaction (watches/emit-events.ts).
 */
export async function observe(db: Db, items: readonly Observation[], now: number, options: ObserveOptions = {}): Promise<AddressChange[]> {
  const codes = [...new Set(items.map((o) => o.code))];
  if (codes.length === 0) return [];
  const plan = planObservations(items, await currentRows(db, codes), now, options);
  for (const v of plan.validity) {
    await db
      .updateTable('address_observations')
      .set({ valid_from: v.validFrom, valid_to: v.validTo, last_seen_at: v.lastSeenAt })
      .where('id', '=', v.id)
      .execute();
  }
  for (let i = 0; i < plan.touched.length; i += CHUNK) {
    await db
      .updateTable('address_observations')
      .set({ last_seen_at: now })
      .where('id', 'in', plan.touched.slice(i, i + CHUNK))
      .where('last_seen_at', '<', now)
      .execute();
  }
  for (let i = 0; i < plan.superseded.length; i += CHUNK) {
    await db
      .updateTable('address_observations')
      .set({ superseded_at: now })
      .where('id', 'in', plan.superseded.slice(i, i + CHUNK))
      .execute();
  }
  await insertRows(db, 'address_observations', plan.inserted, options.split);
  return plan.changes;
}

/** What recording some observations writes, decided from the current rows (see observe). */
export interface ObservationPlan {
  /** Current rows seen again unchanged: last_seen_at moves to now (where it is older). */
  touched: string[];
  /** Current rows seen again with a new validity. */
  validity: { id: string; validFrom: number | null; validTo: number | null; lastSeenAt: number }[];
  /** Current rows another answer replaces: superseded_at becomes now. */
  superseded: string[];
  inserted: AddressObservationsTable[];
  changes: AddressChange[];
}

/** The current row an observation opens: first and last seen now, superseded by nothing yet. */
export function openedObservation(o: Observation, now: number): AddressObservationsTable {
  return {
    id: newId('obs', now),
    code: o.code,
    source: o.source,
    pec: o.pec,
    kind: o.kind ?? null,
    first_seen_at: now,
    last_seen_at: now,
    valid_from: o.validFrom ?? null,
    valid_to: o.validTo ?? null,
    superseded_at: null,
  };
}

/**
 * Decides what observe writes, without writing it: the same address extends the current row,
 * another address (or none) supersedes it, and a first observation opens the baseline. `current`
 * is what currentRows read for the observations' codes.
 */
export function planObservations(
  items: readonly Observation[],
  current: ReadonlyMap<string, AddressObservationsTable>,
  now: number,
  options: ObserveOptions = {},
): ObservationPlan {
  const wanted = new Map<string, Observation>();
  for (const item of items) {
    const key = `${item.code}\u0000${item.source}`;
    if (!wanted.has(key)) wanted.set(key, item);
  }
  const plan: ObservationPlan = { touched: [], validity: [], superseded: [], inserted: [], changes: [] };
  for (const [key, o] of wanted) {
    const row = current.get(key);
    const pec = o.pec;
    if (row && same(row.pec, pec)) {
      const validFrom = o.validFrom ?? row.valid_from;
      const validTo = o.validTo ?? row.valid_to;
      if (validFrom !== row.valid_from || validTo !== row.valid_to) {
        plan.validity.push({ id: row.id, validFrom, validTo, lastSeenAt: Math.max(now, Number(row.last_seen_at)) });
      } else if (options.touch !== false) plan.touched.push(row.id);
      continue;
    }
    const opened = openedObservation(o, now);
    plan.inserted.push(opened);
    if (row) {
      plan.superseded.push(row.id);
      plan.changes.push({ code: o.code, source: o.source, before: row.pec, after: pec, observationId: opened.id, at: now });
    }
  }
  return plan;
}

/** The current row of every (code, source) among these codes, keyed `code\0source`. */
export async function currentRows(db: Db, codes: readonly string[]): Promise<Map<string, AddressObservationsTable>> {
  const rows = new Map<string, AddressObservationsTable>();
  for (let i = 0; i < codes.length; i += CHUNK) {
    const found = await db
      .selectFrom('address_observations')
      .selectAll()
      .where('code', 'in', codes.slice(i, i + CHUNK))
      .where('superseded_at', 'is', null)
      .orderBy('first_seen_at')
      .execute();
    // The newest wins if two ever were left current (concurrent writers on PostgreSQL).
    for (const row of found) rows.set(`${row.code}\u0000${row.source}`, row);
  }
  return rows;
}
