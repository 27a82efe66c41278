import { formatEuro } from '../resources/money.ts';
import { Stato, type Answer } from './answer.ts';
import type { Transport } from './transport.ts';

/**
 * Buying codes again costs money, so the client never does it on its own (issue #15): the
 * operator asks with a flag, is told how many codes and what they cost, and confirms (a prompt on
 * a terminal, `--yes` otherwise).
 */
export interface CostOffer {
  /** `refresh`: every code of the run; `rebuy`: the codes the server already had a request for. */
  what: 'refresh' | 'rebuy';
  codes: number;
  /** Per lookup, when the protocol says (JSON API); null: the text protocol has no way to ask. */
  priceCents: number | null;
}

/** Shows the offer and says whether to go ahead. */
export type ConfirmCost = (offer: CostOffer) => Promise<boolean>;

/** The one paragraph the operator reads before paying: count, price or "charged again", and what happens. */
export function costNotice(offer: CostOffer): string {
  const codes = `${offer.codes} ${offer.codes === 1 ? 'code' : 'codes'}`;
  const what =
    offer.what === 'rebuy'
      ? `${codes} already requested with this key will be deleted (cf-delete) and requested again`
      : `--refresh: the requests for ${codes} will be deleted and the codes requested again`;
  const cost =
    offer.priceCents === null
      ? "each is charged again at the account's price per lookup (the text protocol does not say the price; a deleted request that was not answered yet is refunded)"
      : `each is charged again: ${offer.codes} × ${formatEuro(offer.priceCents)} € = ${formatEuro(offer.codes * offer.priceCents)} € at most (a deleted request that was not answered yet is refunded)`;
  return `${what}; ${cost}.`;
}

/** The price to state, or null when the transport cannot say. */
export async function offeredPrice(transport: Transport): Promise<number | null> {
  return (await transport.price?.()) ?? null;
}

/** The codes a run left "già richiesta": what --rebuy offers to buy again. */
export function alreadyRequestedCodes(answers: ReadonlyMap<string, Answer>, among: Iterable<string>): string[] {
  return [...among].filter((code) => answers.get(code)?.stato === Stato.alreadyRequested);
}
