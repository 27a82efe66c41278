/**
 * Public entry point: validates a codice fiscale (16 characters, natural persons) or an
 * 11-digit partita IVA / numeric codice fiscale, after normalising the input (TAXID.md §4-5).
 *
 * Messages are Italian and meant to follow "Codice fiscale non valido: ". They never contain
 * the code itself (it is personal data and messages end up in logs), at most one character.
 */
import { validateCf11, officeCodeInVatRange } from './cf11.ts';
import { validateCf16 } from './cf16.ts';
import { normalizeTaxId } from './normalize.ts';

/** `cf16`: person's codice fiscale. `cf11`: partita IVA or numeric codice fiscale (same format). */
export type CodeKind = 'cf16' | 'cf11';

export type InvalidReason = 'empty' | 'length' | 'characters' | 'format' | 'month' | 'check_char' | 'date' | 'check_digit' | 'zero_matricola';

export type TaxIdResult =
  | { valid: true; code: string; kind: CodeKind; officeCodeInVatRange?: boolean }
  | {
      valid: false;
      input: string;
      normalized: string;
      reason: InvalidReason;
      message: string;
    };

/** Why a code is invalid: a stable reason code plus the Italian text for the customer. */
export interface TaxIdProblem {
  reason: InvalidReason;
  message: string;
}

const ALPHANUMERIC = /^[A-Z0-9]$/;

/**
 * Normalises and validates a codice fiscale or partita IVA.
 *
 * Checks run in this order, and the first failure is reported: empty, characters (only
 * `A-Z0-9` after normalisation), length (16, or 11 digits), then the checks of the kind
 * (see `validateCf16` and `validateCf11`). Omocode variants are accepted as they are and are
 * never mapped to their base code: a variant is the code of a different person.
 *
 * @param input - the raw text typed or uploaded by the customer.
 * @returns `{ valid: true, code, kind }` with the canonical code (for `cf11` also
 *   `officeCodeInVatRange`, a hint that the number is probably a VAT number), or
 *   `{ valid: false, input, normalized, reason, message }`.
 */
export function validateTaxId(input: string): TaxIdResult {
  const normalized = normalizeTaxId(input);
  const problem = findProblem(normalized);
  if (problem) return { valid: false, input, normalized, ...problem };
  if (normalized.length === 16) return { valid: true, code: normalized, kind: 'cf16' };
  return {
    valid: true,
    code: normalized,
    kind: 'cf11',
    officeCodeInVatRange: officeCodeInVatRange(normalized),
  };
}

function findProblem(code: string): TaxIdProblem | null {
  if (code === '') return { reason: 'empty', message: 'codice vuoto' };
  return characterProblem(code) ?? lengthProblem(code) ?? (code.length === 16 ? validateCf16(code) : validateCf11(code));
}

function characterProblem(code: string): TaxIdProblem | null {
  for (const char of code) {
    if (!ALPHANUMERIC.test(char)) {
      return { reason: 'characters', message: `carattere non ammesso ${showChar(char)}` };
    }
  }
  return null;
}

// Invisible characters (zero-width space, control codes, BOM) would print as an empty pair of
// quotes, which helps nobody: name them by code point instead.
function showChar(char: string): string {
  if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(char)) return `"${char}"`;
  const hex = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} (carattere invisibile)`;
}

function lengthProblem(code: string): TaxIdProblem | null {
  // After normalisation, "IT" + digits means the digits are not 11 (else the prefix would be
  // gone). Report it as a length error even at total length 11 or 16, where the generic
  // per-kind checks would only complain about "I" or "T" being in the wrong place.
  const prefixed = /^IT(\d+)$/.exec(code);
  if (prefixed) {
    const n = prefixed[1].length;
    const found = `${plural(n, 'trovata', 'trovate')} ${n}`;
    return length(code, `dopo il prefisso IT sono attese 11 cifre, ${found}`);
  }
  if (code.length === 16 || code.length === 11) return null;
  if (/^ITIT\d{11}$/.test(code)) return length(code, 'prefisso IT ripetuto');
  if (code.length === 18 && code.startsWith('IT')) {
    return length(code, 'il prefisso IT si usa solo davanti a una partita IVA di 11 cifre');
  }
  return length(code, 'attesi 16 per una persona fisica o 11 cifre');
}

function length(code: string, detail: string): TaxIdProblem {
  const count = `${code.length} ${plural(code.length, 'carattere', 'caratteri')}`;
  return { reason: 'length', message: `lunghezza errata (${count}; ${detail})` };
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
