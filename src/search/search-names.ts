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

/**
 * Candidates ranked per query at most. A query word's candidates are read from name_words in
 * key order: the names with the whole word first (it is the smallest word of its prefix range),
 * then the words it starts in byte order, shorter names first within a word. When the rarest
 * required word has no more than this many, every match is ranked (the exact ranking); when
 * every word is broader (a prefix like "ro" over a million names), its first ones are.
 * Measured on 24,000 enti + 1,000,000 names (bench/search.bench.ts): see docs/search.md.
 */
export const SEARCH_CANDIDATES = 500;

/** Postings of the driving word read at most to find SEARCH_CANDIDATES that match the rest of the query. */
export const SEARCH_SCAN = 5000;

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
 * that broad); see SEARCH_CANDIDATES for which.
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

  const m = nameMatchFor(store.dialect);
  const padded = sql<string>`(' ' || n.terms || ' ')`;
  const driving = await drivingWord(store, parsed.required);
  const others = parsed.required.filter((w) => w !== driving.word);
  const score = scoreOf(parsed.words, padded, m.position);
  const account = options.account;
  const rows = await store.reader
    // The driving word's first postings in key order (the primary key of name_words, read in
    // order and stopped by the LIMIT) that match the rest of the query and its filters, scored.
    .with('matched', (db) => {
      let q = db
        .selectFrom('name_words as w')
        .innerJoin('name_entries as n', 'n.doc', 'w.doc')
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
        .where('w.word', '>=', driving.word)
        .where('w.word', '<', `${driving.word}{`)
        // One posting per name: the name's first word that starts with the driving word.
        .where(sql<boolean>`${m.position(padded, ` ${driving.word}`)} = ${m.positionOf(padded, sql`' ' || w.word || ' '`)}`);
      if (driving.last) q = q.where(sql<boolean>`(w.word, w.words, w.doc) <= (${driving.last.word}, ${driving.last.words}, ${driving.last.doc})`);
      for (const w of others) q = q.where(sql<boolean>`${m.position(padded, ` ${w}`)} > 0`);
      if (province) q = q.where('n.province', '=', province);
      if (category) q = q.where('n.category', '=', category);
      if (account !== undefined)
        q = q.where((eb) => eb.or([eb('d.managed_by', 'is not', null), eb('d.account_id', 'is', null), eb('d.account_id', '=', account)]));
      return q.orderBy('w.word').orderBy('w.words').orderBy('w.doc').limit(SEARCH_CANDIDATES);
    })
    // Ranked: the page.
    .with('page', (db) =>
      db
        .selectFrom('matched as n')
        .selectAll('n')
        .orderBy('n.score', 'desc')
        .orderBy('n.words')
        .orderBy(m.ordered('n.terms'))
        .orderBy(m.ordered('n.code'))
        .orderBy(m.ordered('n.dataset_id'))
        .limit(limit + 1)
        .offset(offset),
    )
    // Names and their PECs in one statement, so one snapshot: a mirror refresh committing between
    // two statements would leave old names without their (deleted) PECs on PostgreSQL.
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

/**
 * The required word with the fewest name words starting with it, counted up to
 * SEARCH_CANDIDATES + 1 each (one bounded index range per word, one statement). Ties: the
 * longer word, then the query's order. Every match of the query has it, so when it has no more
 * than SEARCH_CANDIDATES the candidates are all the matches. When it has more, `last` is the
 * key of its SEARCH_SCAN-th posting (if it has that many): the candidates are looked for no
 * further, however few of them match the rest of the query.
 */
async function drivingWord(store: Pick<Store, 'reader'>, required: readonly string[]): Promise<{ word: string; last: PostingKey | null }> {
  const counts = required.map(
    (w) => sql<number>`(select count(*) from (select 1 from name_words where word >= ${w} and word < ${`${w}{`} limit ${sql.lit(SEARCH_CANDIDATES + 1)}) as p)`,
  );
  const row = (await sql<Record<string, number | string>>`select ${sql.join(counts.map((c, i) => sql`${c} as ${sql.id(`c${i}`)}`))}`.execute(store.reader))
    .rows[0];
  let best = 0;
  for (let i = 1; i < required.length; i++) {
    const [ci, cb] = [Number(row[`c${i}`]), Number(row[`c${best}`])];
    if (ci < cb || (ci === cb && required[i].length > required[best].length)) best = i;
  }
  const word = required[best];
  if (Number(row[`c${best}`]) <= SEARCH_CANDIDATES) return { word, last: null };
  const last = await store.reader
    .selectFrom('name_words')
    .select(['word', 'words', 'doc'])
    .where('word', '>=', word)
    .where('word', '<', `${word}{`)
    .orderBy('word')
    .orderBy('words')
    .orderBy('doc')
    .offset(SEARCH_SCAN - 1)
    .limit(1)
    .executeTakeFirst();
  return { word, last: last ? { word: last.word, words: Number(last.words), doc: Number(last.doc) } : null };
}

interface PostingKey {
  word: string;
  words: number;
  doc: number;
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
