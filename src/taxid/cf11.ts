/**
 * 11-digit codes, TAXID.md §3: the partita IVA, the numeric codice fiscale of companies and
 * other non-persons, and the provisional numeric codice fiscale of a person. All three share
 * one layout (7-digit matricola, 3-digit office code, check digit) and one check digit, and
 * nothing in the number says which of them it is, so they are validated the same way.
 */
import type { TaxIdProblem } from './validate.ts';

const FIRST10 = /^\d{10}$/;
const ELEVEN_DIGITS = /^\d{11}$/;

/**
 * Computes the check digit (11th digit) of a partita IVA / numeric codice fiscale.
 *
 * This is the Luhn algorithm: digits in odd positions count as they are, digits in even
 * positions are doubled (minus 9 when the result exceeds 9), and the check digit brings the
 * total to a multiple of 10.
 *
 * @param first10 - the first 10 digits.
 * @returns the check digit, 0-9.
 * @throws RangeError when `first10` is not exactly 10 digits.
 * @example cf11CheckDigit('0074311015') // 7
 */
export function cf11CheckDigit(first10: string): number {
  if (!FIRST10.test(first10)) {
    throw new RangeError('cf11CheckDigit expects exactly 10 digits');
  }
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const digit = Number(first10[i]);
    // i is 0-based, so odd i is an even (1-based) position.
    sum += i % 2 === 0 ? digit : luhnDouble(digit);
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Validates a normalised 11-character partita IVA / numeric codice fiscale.
 *
 * Checks, in order: digits only, matricola (digits 1-7) not all zero, check digit. The office
 * code (digits 8-10) is deliberately not checked: provisional codes of persons use offices
 * such as 900 and 369, and a numeric CF that is not a VAT number may have any office code. Use
 * `officeCodeInVatRange` for a hint.
 *
 * @param code - the normalised code (see `normalizeTaxId`), expected to be 11 characters.
 * @returns `null` when the code is valid, otherwise the first problem found.
 */
export function validateCf11(code: string): TaxIdProblem | null {
  if (code.length !== 11) {
    return {
      reason: 'length',
      message: `lunghezza errata (${code.length} caratteri; attese 11 cifre)`,
    };
  }
  return nonDigitProblem(code) ?? zeroMatricolaProblem(code) ?? checkDigitProblem(code);
}

/**
 * Tells whether the office code (digits 8-10) is one that issues VAT numbers:
 * 001-100, 120, 121, 888 or 999 (python-stdnum's rule).
 *
 * A hint only ("probably a VAT number"), never a validity check: see `validateCf11`.
 *
 * @param code - a normalised 11-digit code.
 * @returns `false` also when `code` is not 11 digits.
 */
export function officeCodeInVatRange(code: string): boolean {
  if (!ELEVEN_DIGITS.test(code)) return false;
  const office = Number(code.slice(7, 10));
  return (office >= 1 && office <= 100) || [120, 121, 888, 999].includes(office);
}

function luhnDouble(digit: number): number {
  const doubled = digit * 2;
  return doubled > 9 ? doubled - 9 : doubled;
}

function nonDigitProblem(code: string): TaxIdProblem | null {
  const index = code.search(/\D/);
  if (index < 0) return null;
  return {
    reason: 'format',
    message: `formato non valido (posizione ${index + 1}: un codice di 11 caratteri ` + `deve contenere solo cifre, trovato "${code[index]}")`,
  };
}

// python-stdnum, jsvat and valvat reject matricola 0000000: no office issues it, and such a
// number is usually a placeholder ("00000000000") or a leading-zero-padding accident.
function zeroMatricolaProblem(code: string): TaxIdProblem | null {
  if (!code.startsWith('0000000')) return null;
  return { reason: 'zero_matricola', message: 'matricola nulla (prime sette cifre a zero)' };
}

function checkDigitProblem(code: string): TaxIdProblem | null {
  const expected = cf11CheckDigit(code.slice(0, 10));
  if (Number(code[10]) === expected) return null;
  return { reason: 'check_digit', message: `cifra di controllo errata (attesa ${expected})` };
}
