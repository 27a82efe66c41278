/** Longest name kept in the index, in characters (IPA's longest denominazione is ~250). */
export const MAX_NAME_LENGTH = 500;

/**
 * A name or a query as the index sees it: accents taken off (NFKD, then the combining marks
 * dropped: "Città" -> "citta", "Rhêmes" -> "rhemes"), lower case, and every run of characters
 * that are not a-z or 0-9 (spaces, apostrophes, dots, hyphens) one word break:
 * "Ricco' del Golfo" -> ["ricco", "del", "golfo"], "A.S.L." -> ["a", "s", "l"].
 * Done in the app on both dialects, before indexing and before querying, so SQLite and
 * PostgreSQL index the same words and answer the same rows (no unaccent extension needed,
 * which a schema-scoped PostgreSQL install may not be allowed to create).
 */
export function nameWords(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      // Letters the decomposition keeps whole.
      .replace(/ß/g, 'ss')
      .replace(/æ/g, 'ae')
      .replace(/œ/g, 'oe')
      .replace(/ø/g, 'o')
      .replace(/ł/g, 'l')
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 0)
  );
}

/** The indexed form: the words joined by single spaces. */
export function nameTerms(text: string): string {
  return nameWords(text).join(' ');
}
