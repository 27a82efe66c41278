import { validateTaxId } from './index.ts';

/**
 * A partita IVA typed into a numeric Excel cell loses its leading zeros: 01394590010 becomes
 * 1394590010, and 00138020078 (in our IPA sample) becomes 138020078. For a cell that was a
 * number, pad with zeros to 11 digits, but only when that yields a valid code (the check digit
 * has to agree, so a number that merely looks short stays as it is). Down to 7 digits: the
 * first 7 digits (the matricola) are never all zero, so at most 4 zeros can have been lost.
 * Text cells are never padded: there the zeros were kept, and a short code is an error to show.
 */
export function repadNumericCode(text: string): string {
  if (!/^\d{7,10}$/.test(text)) return text;
  const padded = text.padStart(11, '0');
  return validateTaxId(padded).valid ? padded : text;
}
