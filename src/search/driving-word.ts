import { sql } from 'kysely';
import type { Store } from '../store/store.ts';
import { compileByShape, compileOnce } from '../store/compile-once.ts';

/**
 * Postings of the driving word read at most to find the candidates that match the rest of the
 * query (search-names.ts). A posting costs about 0.5-1 µs to check (1M names, SQLite), so 2,000
 * bound a query's scan to 1-2 ms; 5,000 set a p99 over 10 ms on a loaded machine.
 */
export const SEARCH_SCAN = 2000;

/** The key of a posting in name_words: where a driving word's scan stops. */
export interface PostingKey {
  word: string;
  words: number;
  doc: number;
}

export interface DrivingWord {
  word: string;
  /** The SEARCH_SCAN-th posting of the word, when it has that many: the scan goes no further. */
  last: PostingKey | null;
}

/** The prefix range of a word: every word it starts sorts in [word, word + '{') ('{' follows 'z'). */
export function prefixEnd(word: string): string {
  return `${word}{`;
}

const countPostings = compileByShape<string, Record<string, number | string>>(16);

const lastPosting = compileOnce<'from' | 'to' | 'skip', { word: string; words: number | string; doc: number | string }>((db, param) =>
  db
    .selectFrom('name_words')
    .select(['word', 'words', 'doc'])
    .where('word', '>=', param('from'))
    .where('word', '<', param('to'))
    .orderBy('word')
    .orderBy('words')
    .orderBy('doc')
    .limit(sql.lit(1))
    .offset(param('skip')),
);

/**
 * The required word with the fewest postings (name words starting with it), each counted up to
 * SEARCH_SCAN + 1 (one bounded index range per word, one statement; none for a one-word query).
 * Ties: the longer word, then the query's order. Every match of the query has it. When it has
 * more than SEARCH_SCAN postings, `last` is the key of its SEARCH_SCAN-th: the candidates are
 * looked for no further, however few of them match the rest of the query.
 */
export async function drivingWord(store: Pick<Store, 'reader'>, required: readonly string[]): Promise<DrivingWord> {
  let best = 0;
  if (required.length > 1) {
    const values: Record<string, string> = {};
    required.forEach((w, i) => {
      values[`f${i}`] = w;
      values[`t${i}`] = prefixEnd(w);
    });
    const [row] = await countPostings(
      store.reader,
      String(required.length),
      (db, param) => {
        const counts = required.map(
          (_, i) =>
            sql`(select count(*) from (select 1 from name_words where word >= ${param(`f${i}`)} and word < ${param(`t${i}`)} limit ${sql.lit(SEARCH_SCAN + 1)}) as p) as ${sql.id(`c${i}`)}`,
        );
        const query = sql<Record<string, number | string>>`select ${sql.join(counts)}`;
        return { compile: () => query.compile(db) };
      },
      values,
    );
    const counts = required.map((_, i) => Number(row[`c${i}`]));
    for (let i = 1; i < required.length; i++) {
      if (counts[i] < counts[best] || (counts[i] === counts[best] && required[i].length > required[best].length)) best = i;
    }
    if (counts[best] <= SEARCH_SCAN) return { word: required[best], last: null };
  }
  const word = required[best];
  const [last] = await lastPosting(store.reader, { from: word, to: prefixEnd(word), skip: SEARCH_SCAN - 1 });
  return { word, last: last ? { word: last.word, words: Number(last.words), doc: Number(last.doc) } : null };
}
