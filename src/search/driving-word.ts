import { sql } from 'kysely';
import type { Store } from '../store/store.ts';
import { compileByShape, compileOnce } from '../store/compile-once.ts';

/**
 * Postings of the driving word read at most to find the candidates that match the rest of the
 * query (search-names.ts). A posting costs about 0.5-1 µs to check (1M names, SQLite), so 2,000
 * bound a query's scan to 1-2 ms; 5,000 set a p99 over 10 ms on a loaded machine.
 */
export const SEARCH_SCAN = 2000;

/**
 * Another required word with at most this many postings is read whole (in key order, one
 * index range, about 0.05 µs a posting) and the driving word's postings are probed against it,
 * instead of reading each candidate's name to check it (0.5-2 µs each, scattered over the
 * store): "consorzio di bonifica paso" (4,000 and 1,200 postings) went from 2.6 to 0.9 ms of CPU
 * (warm, fastest of 30).
 * Counting a broad word this far costs about 0.3 ms.
 */
export const SEARCH_LIST = 5000;

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
  /** The other required words: every match has them too. */
  others: OtherWord[];
}

export interface OtherWord {
  word: string;
  /** At most SEARCH_LIST postings: few enough to read them all rather than check each candidate's name. */
  few: boolean;
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
 * SEARCH_LIST + 1 (one bounded index range per word, one statement; none for a one-word query).
 * Ties: the longer word, then the query's order. Every match of the query has it. When it has
 * more than SEARCH_SCAN postings, `last` is the key of its SEARCH_SCAN-th: the candidates are
 * looked for no further, however few of them match the rest of the query.
 */
export async function drivingWord(store: Pick<Store, 'reader'>, required: readonly string[]): Promise<DrivingWord> {
  let best = 0;
  // A one-word query needs no count: its word drives, and the last-posting read bounds it.
  let counts = [SEARCH_LIST + 1];
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
            sql`(select count(*) from (select 1 from name_words where word >= ${param(`f${i}`)} and word < ${param(`t${i}`)} limit ${sql.lit(SEARCH_LIST + 1)}) as p) as ${sql.id(`c${i}`)}`,
        );
        const query = sql<Record<string, number | string>>`select ${sql.join(counts)}`;
        return { compile: () => query.compile(db) };
      },
      values,
    );
    counts = required.map((_, i) => Number(row[`c${i}`]));
    for (let i = 1; i < required.length; i++) {
      if (counts[i] < counts[best] || (counts[i] === counts[best] && required[i].length > required[best].length)) best = i;
    }
  }
  const word = required[best];
  const others = required.filter((_, i) => i !== best).map((w, i) => ({ word: w, few: counts[i < best ? i : i + 1] <= SEARCH_LIST }));
  if (counts[best] <= SEARCH_SCAN) return { word, last: null, others };
  const [last] = await lastPosting(store.reader, { from: word, to: prefixEnd(word), skip: SEARCH_SCAN - 1 });
  return { word, last: last ? { word: last.word, words: Number(last.words), doc: Number(last.doc) } : null, others };
}
