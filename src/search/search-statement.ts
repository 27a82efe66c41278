import { sql, type RawBuilder } from 'kysely';
import type { Store } from '../store/store.ts';
import { compileByShape } from '../store/compile-once.ts';
import { nameMatchFor, type NameMatch } from './name-match.ts';
import { prefixEnd, type DrivingWord } from './driving-word.ts';
import type { QueryWord } from './search-query.ts';

/**
 * Candidates ranked per query at most. A query word's candidates are read from name_words in
 * key order: the names with the whole word first (it is the smallest word of its prefix range),
 * then the words it starts in byte order, shorter names first within a word. When the rarest
 * required word has no more than this many, every match is ranked (the exact ranking); when
 * every word is broader (a prefix like "ro" over a million names), its first ones are. Each
 * costs about 1 µs (joined to its name, scored, sorted); 500 with the rest of the old plan set
 * a p99 over 10 ms on a loaded machine (bench/search.bench.ts, docs/search.md).
 */
export const SEARCH_CANDIDATES = 300;

export interface SearchPlan {
  words: readonly QueryWord[];
  driving: DrivingWord;
  province: string | undefined;
  category: string | undefined;
  account: string | undefined;
  limit: number;
  offset: number;
}

/** One row per result and PEC, in the ranking's order (limit + 1 results, for the next page). */
export interface SearchRow {
  doc: number | string;
  code: string;
  ipa_code: string | null;
  name: string;
  municipality_code: string | null;
  province: string | null;
  postcode: string | null;
  address: string | null;
  category: string | null;
  dataset_name: string;
  managed_by: string | null;
  pec: string | null;
  kind: string | null;
}

/**
 * Statements by shape (the query's words and their weights, how many others, which filters),
 * compiled once per handle: building and compiling this query with Kysely cost about 0.2 ms a
 * search (CPU profile of the bench), as much as SQLite takes to answer a rare word.
 */
const searchStatement = compileByShape<string, SearchRow>(256);

/** The driving word's candidates, ranked and paged, with their names and PECs: one statement. */
export async function runSearch(store: Pick<Store, 'reader' | 'dialect'>, plan: SearchPlan): Promise<SearchRow[]> {
  const { words, driving } = plan;
  const others = driving.others;
  const values: Record<string, unknown> = {
    from: driving.word,
    to: prefixEnd(driving.word),
    spaced: ` ${driving.word}`,
    candidates: SEARCH_CANDIDATES,
    limit: plan.limit + 1,
    offset: plan.offset,
    province: plan.province,
    category: plan.category,
    account: plan.account,
    lastWord: driving.last?.word,
    lastWords: driving.last?.words,
    lastDoc: driving.last?.doc,
  };
  words.forEach(({ word }, i) => {
    values[`prefix${i}`] = ` ${word}`;
    values[`whole${i}`] = ` ${word} `;
  });
  others.forEach(({ word }, i) => {
    values[`other${i}`] = ` ${word}`;
    values[`otherFrom${i}`] = word;
    values[`otherTo${i}`] = prefixEnd(word);
  });
  const shape = [
    words.map((w) => (w.common ? 'c' : 'w')).join(''),
    others.map((o) => (o.few ? 'f' : 'm')).join(''),
    driving.last ? 'l' : '',
    plan.province === undefined ? '' : 'p',
    plan.category === undefined ? '' : 'k',
    plan.account === undefined ? '' : 'a',
  ].join(':');
  const m = nameMatchFor(store.dialect);
  return searchStatement(store.reader, shape, (db, param) => buildSearch(db, m, plan, param), values);
}

function buildSearch(db: Store['reader'], m: NameMatch, plan: SearchPlan, param: (name: string) => never) {
  const padded = sql<string>`(' ' || n.terms || ' ')`;
  return (
    db
      // The driving word's first postings in key order (the primary key of name_words, read in
      // order and stopped by the LIMIT) that match the rest of the query and its filters, scored.
      // Only what the ranking needs: the rest of a name is read for the page alone.
      .with('matched', (db) => {
        let q = db
          .selectFrom('name_words as w')
          .innerJoin('name_entries as n', 'n.doc', 'w.doc')
          .select(['n.doc', 'n.words', 'n.terms', 'n.code', 'n.dataset_id'])
          .select(scoreOf(plan.words, padded, m, param).as('score'))
          .where('w.word', '>=', param('from'))
          .where('w.word', '<', param('to'));
        if (plan.driving.last) {
          q = q.where(sql<boolean>`(w.word, w.words, w.doc) <= (${param('lastWord')}, ${param('lastWords')}, ${param('lastDoc')})`);
        }
        if (plan.province !== undefined) q = q.where('n.province', '=', param('province'));
        if (plan.category !== undefined) q = q.where('n.category', '=', param('category'));
        // Every dataset but those imported for another account (the IPA mirror has none).
        if (plan.account !== undefined) {
          q = q.where(
            'n.dataset_id',
            'not in',
            db
              .selectFrom('datasets')
              .select('id')
              .where('managed_by', 'is', null)
              .where('account_id', 'is not', null)
              .where('account_id', '<>', param('account')),
          );
        }
        // The other words before the one-posting check: on a multi-word query most postings
        // fail here (SQLite checks the conditions in this order, the cheap filters first).
        plan.driving.others.forEach(({ few }, i) => {
          q = few
            ? // Its postings read once, in key order, into a temporary index probed for each
              // posting: no name read. (`+`: so that SQLite keeps reading the driving word in order.)
              q.where(sql<number>`+w.doc`, 'in', (db) =>
                db
                  .selectFrom('name_words')
                  .select('doc')
                  .where('word', '>=', param(`otherFrom${i}`))
                  .where('word', '<', param(`otherTo${i}`)),
              )
            : q.where(sql<boolean>`${m.position(padded, param(`other${i}`))} > 0`);
        });
        // One posting per name: the name's first word that starts with the driving word.
        q = q.where(sql<boolean>`${m.position(padded, param('spaced'))} = ${m.position(padded, sql`' ' || w.word || ' '`)}`);
        return q.orderBy('w.word').orderBy('w.words').orderBy('w.doc').limit(param('candidates'));
      })
      // Ranked: the page.
      .with('page', (db) =>
        db
          .selectFrom('matched as p')
          .selectAll('p')
          .orderBy('p.score', 'desc')
          .orderBy('p.words')
          .orderBy(m.ordered('p.terms'))
          .orderBy(m.ordered('p.code'))
          .orderBy(m.ordered('p.dataset_id'))
          .limit(param('limit'))
          .offset(param('offset')),
      )
      // Names and their PECs in the same statement, so one snapshot: a mirror refresh committing
      // between two statements would leave old names without their (deleted) PECs on PostgreSQL.
      .selectFrom('page')
      .innerJoin('name_entries as n', 'n.doc', 'page.doc')
      .innerJoin('datasets as d', 'd.id', 'n.dataset_id')
      .leftJoin('directory_entries as e', (j) => j.onRef('e.dataset_id', '=', 'n.dataset_id').onRef('e.code', '=', 'n.code'))
      .select([
        'page.doc',
        'n.code',
        'n.ipa_code',
        'n.name',
        'n.municipality_code',
        'n.province',
        'n.postcode',
        'n.address',
        'n.category',
        'd.name as dataset_name',
        'd.managed_by',
        'e.pec',
        'e.kind',
      ])
      .orderBy('page.score', 'desc')
      .orderBy('page.words')
      .orderBy(m.ordered('page.terms'))
      .orderBy(m.ordered('page.code'))
      .orderBy(m.ordered('page.dataset_id'))
      .orderBy('e.position')
  );
}

/** Sum over the query's words: 2 x weight when a word of the name starts with it, 1 x more when it is that word. */
function scoreOf(words: readonly QueryWord[], padded: RawBuilder<string>, m: NameMatch, param: (name: string) => never): RawBuilder<number> {
  const parts = words.map(({ common }, i) => {
    const weight = common ? 1 : 10;
    // Literal weights: PostgreSQL cannot type a bare parameter in a CASE result.
    return sql<number>`(case when ${m.position(padded, param(`prefix${i}`))} > 0 then ${sql.lit(2 * weight)} else 0 end + case when ${m.position(padded, param(`whole${i}`))} > 0 then ${sql.lit(weight)} else 0 end)`;
  });
  return sql<number>`(${sql.join(parts, sql` + `)})`;
}
