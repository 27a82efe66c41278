import type { Store } from '../store/store.ts';
import { localAddresses, sourceLoaded } from '../directory/local-sources.ts';
import { recordObservations } from './record-observations.ts';

const samePec = (a: string | null, b: string | null) => (a === null || b === null ? a === b : a.toLowerCase() === b.toLowerCase());

export interface RecheckSlice {
  /** Codes after this one (code order); null from the start. */
  after: string | null;
  /** Codes per transaction. */
  chunk: number;
  /** Codes in this call, at most; the caller continues from `last`. */
  limit: number;
  now: number;
}

export interface RecheckReport {
  checked: number;
  changes: number;
  webhooks: number;
  /** The last code checked; null when none was. */
  last: string | null;
  done: boolean;
}

/**
 * Re-checks a local source (the directory, a mirror) after its data changed: the codes the
 * history holds a current answer of that source for (every watched code has one: a baseline
 * is taken when the watch starts) are read in code order, a chunk at a time, compared with
 * what the source's datasets say now, and the differences recorded as observations, which
 * make the watch events. Nothing is asked of any registry, nothing is held in memory beyond a
 * chunk. Each chunk is one transaction that reads the current rows again, so a re-check that
 * runs twice, or is cut by a restart and starts over, records every change once.
 */
export async function recheckLocalSource(store: Store, source: string, s: RecheckSlice): Promise<RecheckReport> {
  const report: RecheckReport = { checked: 0, changes: 0, webhooks: 0, last: s.after, done: false };
  // Before a mirror's first download it knows nothing: its codes are not "gone".
  if (!(await sourceLoaded(store.db, source))) return { ...report, done: true };
  while (report.checked < s.limit) {
    const wanted = Math.min(s.chunk, s.limit - report.checked);
    let query = store.db
      .selectFrom('address_observations')
      .select(['code', 'pec'])
      .where('source', '=', source)
      .where('superseded_at', 'is', null)
      .orderBy('code')
      .limit(wanted);
    if (report.last !== null) query = query.where('code', '>', report.last);
    const held = await query.execute();
    if (held.length === 0) return { ...report, done: true };
    const codes = held.map((r) => r.code);
    // Compared outside any transaction; only the codes that differ are written, and observe()
    // reads their current rows again inside its transaction (a lookup may have moved them).
    const now = await localAddresses(store.db, source, codes);
    const differ = held.filter((r) => !samePec(r.pec, now.get(r.code)?.pec ?? null));
    const result =
      differ.length === 0
        ? { changes: 0, webhooks: 0 }
        : await store.db.transaction().execute((trx) =>
            recordObservations(
              trx,
              differ.map((r) => ({ code: r.code, source, pec: now.get(r.code)?.pec ?? null, kind: now.get(r.code)?.kind ?? null })),
              s.now,
              { touch: false },
            ),
          );
    report.checked += codes.length;
    report.changes += result.changes;
    report.webhooks += result.webhooks;
    report.last = codes[codes.length - 1];
    if (codes.length < wanted) return { ...report, done: true };
  }
  return report;
}
