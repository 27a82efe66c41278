import { validateTaxId } from '../taxid/index.ts';
import { invalidAnswer, Stato, type Answer } from './answer.ts';
import type { Sleep } from './backoff.ts';
import { alreadyRequestedCodes, offeredPrice, type ConfirmCost } from './rebuy.ts';
import { resolveAll, type CodeJob } from './resolve-all.ts';
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
  /** Buy again, once confirmed, the codes the server already has a request for (run-batch.ts). */
  rebuy: boolean;
  confirmCost: ConfirmCost;
}

/**
 * Looks up codes given on the command line: invalid ones are answered locally, the others are
 * submitted (each distinct code once) and polled until answered. One line per input, in order.
 * A code the account already requested is "già richiesta" (text protocol) unless --rebuy.
 */
export async function runLookup(deps: LookupDeps, inputs: readonly string[]): Promise<LookupLine[]> {
  const checked = inputs.map((input) => validateTaxId(input));
  const answers = new Map<string, Answer>();
  const codes = [...new Set(checked.flatMap((c) => (c.valid ? [c.code] : [])))];
  const pass = (refresh: boolean, jobs: readonly CodeJob[]) =>
    resolveAll(
      {
        transport: deps.transport,
        slots: createSlots(deps.concurrency),
        sleep: deps.sleep,
        random: deps.random,
        signal: deps.signal,
        refresh,
        onSubmitted: () => {},
        credit: { exhausted: null },
      },
      deps.concurrency,
      jobs,
      (code, resolution) => answers.set(code, resolution.answer),
    );
  await pass(
    false,
    codes.map((code) => ({ code })),
  );
  const again = alreadyRequestedCodes(answers, codes);
  if (deps.rebuy && again.length > 0 && (await deps.confirmCost({ what: 'rebuy', codes: again.length, priceCents: await offeredPrice(deps.transport) }))) {
    await pass(
      true,
      again.map((code) => ({ code })),
    );
  }
  return checked.map((c, i) => {
    const answer = c.valid ? answers.get(c.code)! : invalidAnswer(c.message);
    return { code: c.valid ? c.code : inputs[i], stato: answer.stato, pec: answer.pec, errore: answer.errore };
  });
}

/** Exit status 1 when any line is not an answer (invalid code or error), as `cercapec validate` does. */
export function lookupFailed(lines: readonly LookupLine[]): boolean {
  return lines.some((l) => l.stato !== Stato.found && l.stato !== Stato.notFound);
}
