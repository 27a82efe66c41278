/**
 * Codice fiscale of a natural person (16 characters), TAXID.md §2.
 *
 * Only the structure is checked: layout, check letter and the existence of the birth date.
 * No semantic checks (Belfiore code, name pattern, omocodia order): AdE has issued codes that
 * fail them, and for a lookup service a false rejection is worse than a useless query.
 */
import type { TaxIdProblem } from './validate.ts';

// Values of characters in odd positions (1st, 3rd, … 15th), indexed by A=0 … Z=25. A digit
// has the value of the letter in the same column (0/A, 1/B, … 9/J), so digits index it too.
const ODD_VALUES = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

const MONTH_LETTERS = 'ABCDEHLMPRST';

// Letters that replace the digits 0-9 in omocode variants of a code.
const OMOCODE_LETTERS = 'LMNPQRSTUV';

// What each position holds: L = letter, N = digit or omocode letter, M = month letter.
const LAYOUT = 'LLLLLLNNMNNLNNNL';

// Shown in format messages so the customer knows which part of the code to look at.
const LETTER_ROLE: Record<number, string> = {
  11: 'codice del comune o dello stato di nascita',
  15: 'carattere di controllo',
};

const FIRST15 = /^[A-Z0-9]{15}$/;

/**
 * Computes the check letter (16th character) of a CF16 from its first 15 characters.
 *
 * The 15 characters are used as written: omocode letters are not mapped back to digits,
 * because AdE computes the check letter on the variant itself.
 *
 * @param first15 - 15 characters, uppercase `A-Z` and `0-9` (already normalised).
 * @returns the check letter, `A`-`Z`.
 * @throws RangeError when `first15` is not 15 uppercase alphanumerics.
 * @example cf16CheckChar('RSSMRA85T10A562') // 'S'
 */
export function cf16CheckChar(first15: string): string {
  if (!FIRST15.test(first15)) {
    throw new RangeError('cf16CheckChar expects 15 uppercase alphanumeric characters');
  }
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const index = columnIndex(first15[i]);
    // i is 0-based, so even i is an odd (1-based) position.
    sum += i % 2 === 0 ? ODD_VALUES[index] : index;
  }
  return String.fromCharCode(65 + (sum % 26));
}

/**
 * Validates a normalised 16-character codice fiscale.
 *
 * Checks, in order: layout (letters, digits or omocode letters, month letter), check letter,
 * birth date. The check letter comes before the date because a wrong check letter usually
 * means a typo, and then a "non-existent date" message would point at the wrong place.
 *
 * @param code - the normalised code (see `normalizeTaxId`), expected to be 16 characters.
 * @returns `null` when the code is valid, otherwise the first problem found.
 */
export function validateCf16(code: string): TaxIdProblem | null {
  if (code.length !== 16) {
    return {
      reason: 'length',
      message: `lunghezza errata (${code.length} caratteri; attesi 16)`,
    };
  }
  return layoutProblem(code) ?? checkCharProblem(code) ?? dateProblem(code);
}

// A=0 … Z=25 for letters, 0-9 for digits: the "even" value, and the index into ODD_VALUES.
function columnIndex(char: string): number {
  const code = char.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 65;
}

function isLetter(char: string): boolean {
  return char >= 'A' && char <= 'Z';
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9';
}

function layoutProblem(code: string): TaxIdProblem | null {
  for (let i = 0; i < 16; i++) {
    const problem = positionProblem(code[i], LAYOUT[i], i);
    if (problem) return problem;
  }
  return null;
}

function positionProblem(char: string, slot: string, index: number): TaxIdProblem | null {
  const where = `posizione ${index + 1}`;
  const found = isDigit(char) ? `trovata la cifra "${char}"` : `trovato "${char}"`;
  if (slot === 'L' && !isLetter(char)) {
    const role = LETTER_ROLE[index] ? ` (${LETTER_ROLE[index]})` : '';
    return format(`${where}: attesa una lettera${role}, ${found}`);
  }
  if (slot === 'N' && !isDigit(char) && !OMOCODE_LETTERS.includes(char)) {
    return format(`${where}: attesa una cifra o una lettera di omocodia (${OMOCODE_LETTERS}), ` + `trovata la lettera "${char}"`);
  }
  if (slot === 'M' && !MONTH_LETTERS.includes(char)) {
    const detail = isDigit(char) ? `attesa la lettera del mese, ${found}` : `lettera del mese "${char}" inesistente`;
    return { reason: 'month', message: `formato non valido (${where}: ${detail})` };
  }
  return null;
}

function format(detail: string): TaxIdProblem {
  return { reason: 'format', message: `formato non valido (${detail})` };
}

function checkCharProblem(code: string): TaxIdProblem | null {
  const expected = cf16CheckChar(code.slice(0, 15));
  if (code[15] === expected) return null;
  return { reason: 'check_char', message: `carattere di controllo errato (atteso "${expected}")` };
}

function dateProblem(code: string): TaxIdProblem | null {
  const yy = decodeNumber(code.slice(6, 8));
  const dayField = decodeNumber(code.slice(9, 11));
  const month = MONTH_LETTERS.indexOf(code[8]) + 1;
  const dd = String(dayField).padStart(2, '0');
  // Women have 40 added to the day, so 32-40 and 72-99 belong to nobody.
  if (!((dayField >= 1 && dayField <= 31) || (dayField >= 41 && dayField <= 71))) {
    return {
      reason: 'date',
      message: `data di nascita inesistente (giorno ${dd}: ammessi 01-31, o 41-71 per le donne)`,
    };
  }
  const day = dayField > 40 ? dayField - 40 : dayField;
  if (dateExistsInSomeCentury(day, month, yy)) return null;
  const shown = `${String(day).padStart(2, '0')}/${String(month).padStart(2, '0')}`;
  const leapNote = day === 29 && month === 2 ? `/${code.slice(6, 8)}, anno non bisestile` : '';
  return { reason: 'date', message: `data di nascita inesistente (${shown}${leapNote})` };
}

// Maps omocode letters back to digits, then reads the number: "8R" -> 85.
function decodeNumber(chars: string): number {
  let value = 0;
  for (const char of chars) {
    value = value * 10 + (isDigit(char) ? Number(char) : OMOCODE_LETTERS.indexOf(char));
  }
  return value;
}

// The code only has two year digits, so the date is accepted when it exists in any century a
// living (or recently deceased) person can be born in: 18yy for very old records, 19yy, 20yy.
// This is what makes 29 February of year 00 valid (2000 was a leap year, 1900 was not).
function dateExistsInSomeCentury(day: number, month: number, yy: number): boolean {
  return [1800, 1900, 2000].some((century) => day <= daysInMonth(century + yy, month));
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
