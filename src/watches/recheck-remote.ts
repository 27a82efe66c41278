import type { Store } from '../store/store.ts';
import type { Registry } from '../registries/registry.ts';
import { recordObservations } from './record-observations.ts';
import type { Observation } from '../history/observe.ts';

export interface RemoteSlice {
  after: string | null;
  chunk: number;
  limit: number;
  /** Codes whose last answer from the source is older than this are asked again. */
  staleBefore: number;
  now: () => number;
  signal: AbortSignal;
}

export interface RemoteReport {
  checked: number;
  asked: number;
  failed: number;
  changes: number;
  webhooks: number;
  last: string | null;
  done: boolean;
}

/** Parses `inad=24,inipec=168` (config watchRecheckHours) into milliseconds per source. */
export function parseRecheckHours(text: string): Map<string, number> {
  const intervals = new Map<string, number>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [source, hours] = part.split('=');
    intervals.set(source.trim(), Number(hours) * 3_600_000);
  }
  return intervals;
}

/**
 * Asks a remote source again about the watched codes it last answered before `staleBefore`
 * (or never), in code order, a chunk at a time, one code after the other (the source's own
 * guard limits the rate), and records the answers: a changed one is a watch event. A failure
 * leaves the code for the next cycle. No lookup is made and nothing is charged.
 */
export async function recheckRemoteSource(store: Store, source: Registry, s: RemoteSlice): Promise<RemoteReport> {
  const report: RemoteReport = { checked: 0, asked: 0, failed: 0, changes: 0, webhooks: 0, last: s.after, done: false };
  while (report.checked < s.limit && !s.signal.aborted) {
    const wanted = Math.min(s.chunk, s.limit - report.checked);
    let query = store.db
      .selectFrom('watches')
      .select((eb) => ['code', eb.fn.min('kind').as('kind'), eb.fn.min('reference').as('reference')])
      .groupBy('code')
      .orderBy('code')
      .limit(wanted);
    if (report.last !== null) query = query.where('code', '>', report.last);
    const rows = await query.execute();
    const codes = new Map(rows.map((r) => [r.code, { kind: r.kind as 'cf16' | 'cf11', reference: r.reference as string | null }]));
    if (codes.size === 0) return { ...report, done: true };
    const fresh = new Set(
      (
        await store.db
          .selectFrom('address_observations')
          .select('code')
          .where('code', 'in', [...codes.keys()])
          .where('source', '=', source.id)
          .where('superseded_at', 'is', null)
          .where('last_seen_at', '>=', s.staleBefore)
          .execute()
      ).map((r) => r.code),
    );
    const items: Observation[] = [];
    for (const [code, w] of codes) {
      if (fresh.has(code) || !source.kinds.includes(w.kind)) continue;
      const query = { requestId: 'watch-recheck', code, kind: w.kind, reference: w.reference, fresh: true };
      if (source.skipReason?.(query)) continue;
      report.asked++;
      try {
        const answer = await source.lookup(query, s.signal);
        const first = answer.outcome === 'found' ? answer.addresses[0] : null;
        items.push(
          first
            ? { code, source: source.id, pec: first.pec, kind: first.kind, validFrom: first.validFrom ?? null, validTo: first.validUntil ?? null }
            : { code, source: source.id, pec: null },
        );
      } catch {
        report.failed++;
      }
    }
    const result = await store.db.transaction().execute((trx) => recordObservations(trx, items, s.now()));
    report.checked += codes.size;
    report.changes += result.changes;
    report.webhooks += result.webhooks;
    report.last = [...codes.keys()].at(-1)!;
    if (codes.size < wanted) return { ...report, done: true };
  }
  return report;
}
