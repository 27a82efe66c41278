import { normalizeTaxId } from '../taxid/index.ts';
import { RegistryError } from './registry.ts';

/**
 * A registry's answer that names a codice fiscale must name the one asked: an answer about
 * someone else (a registry's bug, a proxy's cache, a mix-up of concurrent requests) would give
 * the customer another person's address. Both sides are normalised (case, spaces, an IT prefix)
 * before they are compared. An answer that names no code cannot be checked and passes.
 * A mismatch is a permanent error of that attempt: retrying would ask the same thing again, the
 * breaker does not count it (the source answered), and errors are never cached. The message
 * names neither code (logs and the back office show it).
 */
export function checkAnsweredCode(source: string, asked: string, answered: unknown): void {
  if (answered === null || answered === undefined || answered === '') return;
  if (typeof answered === 'string' && normalizeTaxId(answered) === normalizeTaxId(asked)) return;
  throw new RegistryError(source, false, 'la risposta riguarda un codice fiscale diverso da quello richiesto: scartata', 'code_mismatch');
}

/**
 * A record that names several codes (a company's codice fiscale and partita IVA, which differ
 * for some companies) passes when one of them is the code asked, or when it names none.
 */
export function checkAnsweredCodes(source: string, asked: string, answered: readonly unknown[]): void {
  const named = answered.filter((v) => v !== null && v !== undefined && v !== '');
  if (named.length === 0) return;
  if (named.some((v) => typeof v === 'string' && normalizeTaxId(v) === normalizeTaxId(asked))) return;
  checkAnsweredCode(source, asked, named[0]);
}
