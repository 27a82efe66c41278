import { CercapecError, ErrorCode } from '../errors.ts';
import { isCommonWord } from './common-words.ts';
import { nameWords } from './normalize-name.ts';
import { MAX_QUERY_LENGTH } from '../resources/search-schemas.ts';

/** Most words kept: each word costs a posting list. The longest query is MAX_QUERY_LENGTH (resources/). */
export const MAX_QUERY_WORDS = 12;

export interface QueryWord {
  word: string;
  /** Common words ("comune", "di") weigh a tenth of the others and are not required when others exist. */
  common: boolean;
}

export interface ParsedQuery {
  words: QueryWord[];
  /** Words every result must have, as a prefix of one of its words. */
  required: string[];
}

/**
 * The words of a query, normalised like the indexed names. Throws invalid_argument for an empty
 * or too long query (the protocols turn it into their own error).
 */
export function parseQuery(text: string): ParsedQuery {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new CercapecError(ErrorCode.invalidArgument, `the query is longer than ${MAX_QUERY_LENGTH} characters`, { field: 'q' });
  }
  const unique = [...new Set(nameWords(text))].slice(0, MAX_QUERY_WORDS);
  if (unique.length === 0) throw new CercapecError(ErrorCode.invalidArgument, 'the query has no letters or digits', { field: 'q' });
  const words = unique.map((word) => ({ word, common: isCommonWord(word) }));
  const distinctive = words.filter((w) => !w.common).map((w) => w.word);
  return { words, required: distinctive.length > 0 ? distinctive : unique };
}
