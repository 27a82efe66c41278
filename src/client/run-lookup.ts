import { validateTaxId } from '../taxid/index.ts';
import { invalidAnswer, Stato, type Answer } from './answer.ts';
import type { Sleep } from './backoff.ts';
import { resolveAll } from './resolve-all.ts';
import { createSlots } from './slots.ts';
import type { Transport } from './transport.ts';

/** One line of `client lookup` output. */
export interface LookupLine {
  /** The normalised code when valid, else the input as typed. */
  code: string;
  stato: Answer['stato'];
  pec: string;
  errore: string;
}

export interface LookupDeps {
  transport: Transport;
  sleep: Sleep;
  random: () => number;
  signal: AbortSignal;
  concurrency: number;
}

/**
 * Looks up codes given on the command line: invalid ones are answered locally, the others are
 * submitted (each distinct code once) and polled until answered. One line per input, in order.
 */
export async function runLookup(deps: LookupDeps, inputs: readonly string[]): Promise<LookupLine[]> {
  const checked = inputs.map((input) => validateTaxId(input));
  const answers = new Map<string, Answer>();
  const codes = [...new Set(checked.flatMap((c) => (c.valid ? [c.code] : [])))];
  await resolveAll(
    {
      transport: deps.transport,
      slots: createSlots(deps.concurrency),
      sleep: deps.sleep,
      random: deps.random,
      signal: deps.signal,
      refresh: false,
      onSubmitted: () => {},
      credit: { exhausted: null },
      duplicates: 'resubmit',
      onRecovered: () => {},
    },
    deps.concurrency,
    codes.map((code) => ({ code })),
    (code, resolution) => answers.set(code, resolution.answer),
  );
  return checked.map((c, i) => {
    const answer = c.valid ? answers.get(c.code)! : invalidAnswer(c.message);
    return { code: c.valid ? c.code : inputs[i], stato: answer.stato, pec: answer.pec, errore: answer.errore };
  });
}

/** Exit status 1 when any line is not an answer (invalid code or error), as `cercapec validate` does. */
export function lookupFailed(lines: readonly LookupLine[]): boolean {
  return lines.some((l) => l.stato !== Stato.found && l.stato !== Stato.notFound);
}
