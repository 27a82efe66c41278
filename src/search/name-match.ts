import { sql, type RawBuilder } from 'kysely';
import type { DialectCapabilities } from '../store/dialect.ts';

/**
 * The full-text condition "every required word is the prefix of a word of the name", and how
 * to order text byte by byte, per dialect. Words are [a-z0-9]+ (normalize-name.ts), so they
 * need no escaping in either query language, and both tokenizers split `terms` the same way.
 */
export interface NameMatch {
  matches(required: readonly string[]): RawBuilder<boolean>;
  /** Byte order: PostgreSQL's default collation would order "a b" and "ab" by other rules than SQLite. */
  ordered(column: string): RawBuilder<string>;
  /** 1-based position of `needle` in `haystack`, 0 when absent. */
  position(haystack: RawBuilder<string>, needle: string): RawBuilder<number>;
}

const sqliteMatch: NameMatch = {
  // FTS5 prefix queries: "rezzo"* AND "comune"*; answered from the prefix indexes.
  matches: (required) =>
    sql<boolean>`n.doc in (select rowid from name_entries_fts where name_entries_fts match ${required.map((w) => `"${w}"*`).join(' AND ')})`,
  ordered: (column) => sql<string>`${sql.ref(column)}`,
  position: (haystack, needle) => sql<number>`instr(${haystack}, ${needle})`,
};

const postgresMatch: NameMatch = {
  // The GIN index is on this very expression (migration 0011-search).
  matches: (required) => sql<boolean>`to_tsvector('simple', n.terms) @@ to_tsquery('simple', ${required.map((w) => `${w}:*`).join(' & ')})`,
  ordered: (column) => sql<string>`${sql.ref(column)} collate "C"`,
  position: (haystack, needle) => sql<number>`strpos(${haystack}, ${needle})`,
};

export function nameMatchFor(dialect: Pick<DialectCapabilities, 'name'>): NameMatch {
  return dialect.name === 'postgres' ? postgresMatch : sqliteMatch;
}
