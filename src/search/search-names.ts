import { sql, type RawBuilder } from 'kysely';
import type { Store } from '../store/store.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { nameMatchFor } from './name-match.ts';
import { parseQuery, type QueryWord } from './search-query.ts';
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

/**
 * Searches the names of public bodies (the IPA mirror) and of the datasets imported with a name
 * column. Accent, case and punctuation do not matter, nor word order; each word of the query is
 * a prefix ("rezzo" finds Rezzoaglio). Common words ("comune", "di") are not required when the
 * query has others and weigh a tenth. Ranking, the same on both dialects: the weights of the
 * query words found (a whole word weighs 3, a prefix 2, times 10 for uncommon words), then
 * shorter names, then the name's words in byte order, then the code.
 *
 * Datasets are the installation's, not an account's (like the local directory lookups read),
 * so every account searches the same names. Throws invalid_argument for a bad query or option.
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

  const m = nameMatchFor(store.dialect);
  const padded = sql<string>`(' ' || n.terms || ' ')`;
  const score = scoreOf(parsed.words, padded, m.position);
  let ranked = store.reader
    .selectFrom('name_entries as n')
    .innerJoin('datasets as d', 'd.id', 'n.dataset_id')
    .select([
      'n.dataset_id',
      'n.code',
      'n.ipa_code',
      'n.name',
      'n.terms',
      'n.words',
      'n.municipality_code',
      'n.province',
      'n.postcode',
      'n.address',
      'n.category',
      'd.name as dataset_name',
      'd.managed_by',
    ])
    .select(score.as('score'))
    .where(m.matches(parsed.required));
  if (province) ranked = ranked.where('n.province', '=', province);
  if (category) ranked = ranked.where('n.category', '=', category);
  const pageQuery = ranked
    .orderBy('score', 'desc')
    .orderBy('n.words')
    .orderBy(m.ordered('n.terms'))
    .orderBy(m.ordered('n.code'))
    .orderBy(m.ordered('n.dataset_id'))
    .limit(limit + 1)
    .offset(offset);
  // Names and their PECs in one statement, so one snapshot: a mirror refresh committing between
  // two statements would leave old names without their (deleted) PECs on PostgreSQL.
  const rows = await store.reader
    .with('page', () => pageQuery)
    .selectFrom('page')
    .leftJoin('directory_entries as e', (j) => j.onRef('e.dataset_id', '=', 'page.dataset_id').onRef('e.code', '=', 'page.code'))
    .selectAll('page')
    .select(['e.pec', 'e.kind'])
    .orderBy('page.score', 'desc')
    .orderBy('page.words')
    .orderBy(m.ordered('page.terms'))
    .orderBy(m.ordered('page.code'))
    .orderBy(m.ordered('page.dataset_id'))
    .orderBy('e.position')
    .execute();
  const byKey = new Map<string, NameResult>();
  for (const r of rows) {
    const key = `${r.dataset_id} ${r.code}`;
    let item = byKey.get(key);
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
      byKey.set(key, item);
    }
    const pecs = item.pecs;
    if (r.pec !== null && r.kind !== null && !pecs.some((p) => p.pec.toLowerCase() === r.pec!.toLowerCase())) {
      pecs.push({ pec: r.pec, kind: r.kind, source: r.managed_by ?? 'directory' });
    }
  }
  // Map order is insertion order: the ranking's.
  const items = [...byKey.values()];
  const next = offset + limit;
  return { items: items.slice(0, limit), nextOffset: items.length > limit && next <= MAX_SEARCH_OFFSET ? next : null };
}

/** Sum over the query's words: 2 x weight when a word of the name starts with it, 1 x more when it is that word. */
function scoreOf(
  words: readonly QueryWord[],
  padded: RawBuilder<string>,
  position: (h: RawBuilder<string>, n: string) => RawBuilder<number>,
): RawBuilder<number> {
  const parts = words.map(({ word, common }) => {
    const weight = common ? 1 : 10;
    // Literal weights: PostgreSQL cannot type a bare parameter in a CASE result.
    return sql<number>`(case when ${position(padded, ` ${word}`)} > 0 then ${sql.lit(2 * weight)} else 0 end + case when ${position(padded, ` ${word} `)} > 0 then ${sql.lit(weight)} else 0 end)`;
  });
  return sql<number>`(${sql.join(parts, sql` + `)})`;
}

function invalid(message: string, field: string): CercapecError {
  return new CercapecError(ErrorCode.invalidArgument, message, { field });
}
