/**
 * Input cleaning for codici fiscali and partite IVA (TAXID.md §4).
 *
 * The result is the lookup key: it is what we store, compare and send upstream, so it must be
 * deterministic and must never "repair" a code into a different one. Anything we do not
 * explicitly clean (e.g. `/`, `_`, accented letters) is left in place for the validator to reject.
 */

// Whitespace plus the separators people type or paste between groups ("CCC-FBA-85-…",
// "IT: 0233…", "0074.311.015.7"). `\s` with the u flag also covers the no-break spaces that
// come with copy-paste from PDFs and web pages.
const SEPARATORS = /[\s\-:.]/gu;

// The EU VAT prefix is only meaningful in front of an Italian VAT number (11 digits). Requiring
// exactly 11 digits after it keeps "IT IT 0686…" (duplicated prefix), "IT 0074311015" (a lost
// leading zero) and "IT" + CF16 from being silently turned into something that looks valid.
const VAT_PREFIX = /^IT(\d{11})$/;

/**
 * Normalises a codice fiscale / partita IVA as typed by a user into its canonical form.
 *
 * Steps: trim, uppercase (ASCII letters only), remove all whitespace and `-` `:` `.`, then strip
 * a single leading `IT` when exactly 11 digits follow it. The output is not validated: pass it
 * to `validateTaxId` (which calls this function itself) to know whether it is a real code.
 *
 * @param input - the raw text, e.g. `" it 00743110157 "`.
 * @returns the canonical form, e.g. `"00743110157"`; `""` when nothing is left.
 */
export function normalizeTaxId(input: string): string {
  const compact = upperAscii(input.trim()).replace(SEPARATORS, '');
  const prefixed = VAT_PREFIX.exec(compact);
  return prefixed ? prefixed[1] : compact;
}

// Only a-z are uppercased: String#toUpperCase maps "ß" to "SS" and the dotless "ı" to "I", which
// would let non-ASCII input turn into a plausible-looking code instead of being rejected.
function upperAscii(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}
