import type { Store } from '../store/store.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { drivingWord } from './driving-word.ts';
import { runSearch } from './search-statement.ts';
import { parseQuery } from './search-query.ts';
import { MAX_SEARCH_LIMIT } from '../resources/search-schemas.ts';

export interface SearchOptions {
  /** Province abbreviation (GE); only IPA rows carry one. */
  province?: string;
  /** IPA Codice_Categoria (L6: comuni). */
  category?: string;
  /** 1-100, default 20. */
  limit?: number;
  /** Results to skip (0 to MAX_SEARCH_OFFSET): the cursor of the next page. */
  offset?: number;
  /** The account searching: datasets imported for another account are left out. Absent: every dataset (the back office). */
  account?: string;
}

/** Pages stop here: past the first thousand results a query should be narrowed, not paged. */
export const MAX_SEARCH_OFFSET = 1000;

export interface NamePec {
  pec: string;
  kind: string;
  /** `ipa-mirror` for IPA's own data, `directory` for a customer dataset (as lookups say). */
  source: string;
}

export interface NameResult {
  code: string;
  ipaCode: string | null;
  name: string;
  place: { municipalityCode: string | null; province: string | null; postcode: string | null; address: string | null };
  category: string | null;
  /** Where the name comes from: IPA (the mirror) or a customer dataset, by name. */
  source: { type: 'ipa' | 'dataset'; name: string };
  pecs: NamePec[];
}

export interface SearchPage {
  items: NameResult[];
  /** The offset of the next page, or null when there is none (or it would pass MAX_SEARCH_OFFSET). */
  nextOffset: number | null;
}

export { SEARCH_CANDIDATES } from './search-statement.ts';
export { SEARCH_SCAN } from './driving-word.ts';

/**
 * Searches the names of public bodies (the IPA mirror) and of the datasets imported with a name
 * column. Accent, case and punctuation do not matter, nor word order; each word of the query is
 * a prefix ("rezzo" finds Rezzoaglio). Common words ("comune", "di") are not required when the
 * query has others and weigh a tenth. Ranking, the same on both dialects: the weights of the
 * query words found (a whole word weighs 3, a prefix 2, times 10 for uncommon words), then
 * shorter names, then the name's words in byte order, then the code.
 *
 * Bounded work: the required word with the fewest name words starting with it drives the query
 * and at most SEARCH_CANDIDATES of its names are ranked (all of them unless every query word is
 * that broad), found among at most SEARCH_SCAN of its postings; see SEARCH_CANDIDATES for which.
 *
 * Datasets without an account are the installation's (like the local directory lookups read);
 * with `account`, the datasets imported for other accounts are left out. Throws
 * invalid_argument for a bad query or option.
 *
 * @example
 * const { items } = await searchNames(store, 'comune di rezzoaglio', { province: 'GE' });
 * // items[0]: { code: '82003050109', name: 'Comune di Rezzoaglio', pecs: [{ pec: 'protocollo@pec.comune.rezzoaglio.ge.it', ... }] }
 */
export async function searchNames(store: Pick<Store, 'reader' | 'dialect'>, query: string, options: SearchOptions = {}): Promise<SearchPage> {
  const parsed = parseQuery(query);
  const limit = options.limit ?? 20;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw invalid(`limit must be between 1 and ${MAX_SEARCH_LIMIT}`, 'limit');
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_SEARCH_OFFSET) throw invalid('invalid cursor', 'cursor');
  const province = options.province?.trim().toUpperCase();
  if (province !== undefined && !/^[A-Z]{2}$/.test(province)) throw invalid('province must be two letters (GE, RM...)', 'province');
  const category = options.category?.trim().toUpperCase();
  if (category !== undefined && !/^[A-Z0-9]{1,10}$/.test(category)) throw invalid('category must be an IPA category code (L6...)', 'category');

  const driving = await drivingWord(store, parsed.required);
  const rows = await runSearch(store, {
    words: parsed.words,
    driving,
    province,
    category,
    account: options.account,
    limit,
    offset,
  });
  const byDoc = new Map<string, NameResult>();
  for (const r of rows) {
    const key = String(r.doc);
    let item = byDoc.get(key);
    if (!item) {
      item = {
        code: r.code,
        ipaCode: r.ipa_code,
        name: r.name,
        place: { municipalityCode: r.municipality_code, province: r.province, postcode: r.postcode, address: r.address },
        category: r.category,
        source: r.managed_by ? { type: 'ipa', name: r.managed_by } : { type: 'dataset', name: r.dataset_name },
        pecs: [],
      };
      byDoc.set(key, item);
    }
    const pecs = item.pecs;
    if (r.pec !== null && r.kind !== null && !pecs.some((p) => p.pec.toLowerCase() === r.pec!.toLowerCase())) {
      pecs.push({ pec: r.pec, kind: r.kind, source: r.managed_by ?? 'directory' });
    }
  }
  // Map order is insertion order: the ranking's.
  const items = [...byDoc.values()];
  const next = offset + limit;
  return { items: items.slice(0, limit), nextOffset: items.length > limit && next <= MAX_SEARCH_OFFSET ? next : null };
}

function invalid(message: string, field: string): CercapecError {
  return new CercapecError(ErrorCode.invalidArgument, message, { field });
}
