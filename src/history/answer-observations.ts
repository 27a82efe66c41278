import type { Resolution } from '../registries/resolve-code.ts';
import type { Observation } from './observe.ts';

/**
 * What an answer tells the history: the primary address of the source that found the code
 * (with the validity it gives), and "none" from every source that said not found before it.
 * Sources that failed or were skipped said nothing.
 */
export function answerObservations(code: string, result: Exclude<Resolution, { outcome: 'error' }>): Observation[] {
  const items: Observation[] = result.attempts.filter((a) => a.outcome === 'not_found').map((a) => ({ code, source: a.source, pec: null }));
  if (result.outcome === 'found') {
    const first = result.addresses[0];
    items.push({ code, source: first.source, pec: first.pec, kind: first.kind, validFrom: first.validFrom ?? null, validTo: first.validUntil ?? null });
  }
  return items;
}
