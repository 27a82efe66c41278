import type { Clock } from '../clock.ts';
import { AttemptOutcome } from './attempt-outcome.ts';
import { RegistryError, type FoundAddress, type LookupQuery, type Registry } from './registry.ts';

export interface Attempt {
  source: string;
  startedAt: number;
  finishedAt: number;
  /** skipped: the source cannot be asked about this code (Registry.skipReason, given in `error`). */
  outcome: AttemptOutcome;
  error: string | null;
}

export type Resolution =
  | { outcome: 'found'; source: string; addresses: FoundAddress[]; attempts: Attempt[] }
  | { outcome: 'not_found'; attempts: Attempt[] }
  | { outcome: 'error'; transient: boolean; message: string; attempts: Attempt[] };

/**
 * Asks the sources of a chain in order. The first address found wins; "not found" only when
 * every source asked said so. If a source failed, the code cannot be called not found: the
 * result is an error, transient if any failure was (the job is retried later).
 */
export async function resolveCode(chain: readonly Registry[], query: LookupQuery, clock: Clock, signal: AbortSignal): Promise<Resolution> {
  const attempts: Attempt[] = [];
  for (const registry of chain) {
    if (!registry.kinds.includes(query.kind)) continue;
    const startedAt = clock.now();
    const skipped = registry.skipReason?.(query) ?? null;
    if (skipped !== null) {
      attempts.push({ source: registry.id, startedAt, finishedAt: startedAt, outcome: AttemptOutcome.skipped, error: skipped });
      continue;
    }
    try {
      const answer = await registry.lookup(query, signal);
      const finishedAt = clock.now();
      if (answer.outcome === 'found' && answer.addresses.length > 0) {
        attempts.push({ source: registry.id, startedAt, finishedAt, outcome: AttemptOutcome.found, error: null });
        return { outcome: 'found', source: registry.id, addresses: answer.addresses, attempts };
      }
      attempts.push({ source: registry.id, startedAt, finishedAt, outcome: AttemptOutcome.notFound, error: null });
    } catch (error) {
      const transient = !(error instanceof RegistryError) || error.transient;
      const message = error instanceof Error ? error.message : String(error);
      attempts.push({
        source: registry.id,
        startedAt,
        finishedAt: clock.now(),
        outcome: transient ? AttemptOutcome.transientError : AttemptOutcome.permanentError,
        error: message,
      });
    }
  }
  const failures = attempts.filter((a) => a.outcome.endsWith('_error'));
  if (failures.length === 0) return { outcome: 'not_found', attempts };
  const transient = failures.some((a) => a.outcome === AttemptOutcome.transientError);
  const message = failures.map((a) => `${a.source}: ${a.error}`).join('; ');
  return { outcome: 'error', transient, message, attempts };
}
