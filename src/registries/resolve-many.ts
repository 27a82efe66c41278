import type { Clock } from '../clock.ts';
import type { CodeKind } from '../taxid/index.ts';
import { AttemptOutcome } from './attempt-outcome.ts';
import type { Registry, RegistryAnswer } from './registry.ts';
import type { Attempt, Resolution } from './resolve-code.ts';

export type DefiniteResolution = Exclude<Resolution, { outcome: 'error' }>;

/**
 * resolveCode for many codes of one kind at once, through sources that can read many codes in
 * one query (lookupMany: the local directory). Same rules: the first source that finds a code
 * answers it; a code is not found only when every source of the chain was asked (`wholeChain`)
 * and none knew it. Codes left out of the map go through the queue like any other lookup. A
 * chain with a source that cannot read in bulk resolves nothing here.
 */
export async function resolveMany(
  chain: readonly Registry[],
  kind: CodeKind,
  codes: readonly string[],
  clock: Clock,
  wholeChain: boolean,
): Promise<Map<string, DefiniteResolution>> {
  const resolved = new Map<string, DefiniteResolution>();
  const sources = chain.filter((r) => r.kinds.includes(kind));
  if (codes.length === 0 || sources.length === 0 || !sources.every((r) => r.lookupMany)) return resolved;
  let open = [...codes];
  const asked = new Map<string, Attempt[]>();
  for (const source of sources) {
    if (open.length === 0) break;
    const startedAt = clock.now();
    let answers: Map<string, RegistryAnswer>;
    try {
      answers = await source.lookupMany!(open);
    } catch {
      // As for a single inline answer: any failure sends the codes through the queue instead.
      return resolved;
    }
    const finishedAt = clock.now();
    const stillOpen: string[] = [];
    for (const code of open) {
      const answer = answers.get(code);
      const found = answer?.outcome === 'found' && answer.addresses.length > 0;
      const attempts = asked.get(code) ?? [];
      attempts.push({ source: source.id, startedAt, finishedAt, outcome: found ? AttemptOutcome.found : AttemptOutcome.notFound, error: null });
      if (found) resolved.set(code, { outcome: 'found', source: source.id, addresses: answer.addresses, attempts });
      else {
        asked.set(code, attempts);
        stillOpen.push(code);
      }
    }
    open = stillOpen;
  }
  if (wholeChain) for (const code of open) resolved.set(code, { outcome: 'not_found', attempts: asked.get(code) ?? [] });
  return resolved;
}
