import type { Kysely, Transaction } from 'kysely';
import type { AddressObservationsTable, Database } from '../store/schema.ts';
import { isLocalSource } from '../directory/local-sources.ts';

export type VerificationOutcome = 'match' | 'no_match' | 'unknown';

export interface Evidence {
  source: string;
  /** The address the source gave then; null when it had none. */
  pec: string | null;
  matches: boolean;
  observedAt: string;
  validFrom: string;
  /** null: still the source's current answer. */
  validTo: string | null;
  /** Set when the source could not be asked (a remote check that failed or does not apply): the item then counts for nothing. */
  error?: string;
}

export interface Verification {
  outcome: VerificationOutcome;
  evidence: Evidence[];
}

/** The span an observation vouches for: [from, to], to null while open. */
export function coverage(row: AddressObservationsTable): { from: number; to: number | null } {
  const first = Number(row.first_seen_at);
  const from = row.valid_from !== null ? Math.min(Number(row.valid_from), first) : first;
  // A local source's row holds until superseded; a remote answer only when it was given.
  let to: number | null = isLocalSource(row.source) ? (row.superseded_at === null ? null : Number(row.superseded_at)) : Number(row.last_seen_at);
  if (row.valid_to !== null) {
    const validTo = Number(row.valid_to);
    // A stated end beyond what we saw still counts, until the source said otherwise.
    to = to === null ? validTo : Math.max(to, Math.min(validTo, row.superseded_at === null ? validTo : Number(row.superseded_at)));
  }
  return { from, to };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Whether `pec` was the code's address at `at`, by the history: match when a source then gave
 * that address, no_match when the sources that covered that time gave another (or none),
 * unknown when no observation covers it.
 */
export async function verifyAddress(db: Kysely<Database> | Transaction<Database>, code: string, pec: string, at: number): Promise<Verification> {
  const rows = await db.selectFrom('address_observations').selectAll().where('code', '=', code).orderBy('first_seen_at').orderBy('id').execute();
  const wanted = pec.toLowerCase();
  const evidence: Evidence[] = [];
  for (const row of rows) {
    const { from, to } = coverage(row);
    if (at < from || (to !== null && at > to)) continue;
    // The instant of a change belongs to the new answer.
    if (to !== null && at === to && row.superseded_at !== null && Number(row.superseded_at) === at) continue;
    evidence.push({
      source: row.source,
      pec: row.pec,
      matches: row.pec?.toLowerCase() === wanted,
      observedAt: iso(Number(row.last_seen_at)),
      validFrom: iso(from),
      validTo: to === null ? null : iso(to),
    });
  }
  return { outcome: outcomeOf(evidence), evidence };
}

/** match when any answering source gave that address then, no_match when those that answered gave another, unknown when none answered. */
export function outcomeOf(evidence: readonly Evidence[]): VerificationOutcome {
  const answered = evidence.filter((e) => e.error === undefined);
  return answered.length === 0 ? 'unknown' : answered.some((e) => e.matches) ? 'match' : 'no_match';
}

/** A code's addresses over time, oldest first (GET /v1/watches/{code}, the back office timeline). */
export async function codeHistory(db: Kysely<Database>, code: string) {
  const rows = await db.selectFrom('address_observations').selectAll().where('code', '=', code).orderBy('first_seen_at').orderBy('id').execute();
  return rows.map((row) => {
    const { from, to } = coverage(row);
    return {
      source: row.source,
      pec: row.pec,
      kind: row.kind,
      firstObservedAt: iso(Number(row.first_seen_at)),
      lastObservedAt: iso(Number(row.last_seen_at)),
      validFrom: iso(from),
      validTo: to === null ? null : iso(to),
      current: row.superseded_at === null,
    };
  });
}
