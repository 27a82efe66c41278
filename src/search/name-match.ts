import { sql, type RawBuilder } from 'kysely';
import type { DialectCapabilities } from '../store/dialect.ts';

/**
 * What differs per dialect in a name search: how to order text byte by byte and how to find a
 * word in the normalised terms. Words are [a-z0-9]+ (normalize-name.ts), so they need no escaping.
 */
export interface NameMatch {
  /** Byte order: PostgreSQL's default collation would order "a b" and "ab" by other rules than SQLite. */
  ordered(column: string): RawBuilder<string>;
  /** 1-based position of `needle` (a value or an expression) in `haystack`, 0 when absent. */
  position(haystack: RawBuilder<string>, needle: unknown): RawBuilder<number>;
}

const sqliteMatch: NameMatch = {
  ordered: (column) => sql<string>`${sql.ref(column)}`,
  position: (haystack, needle) => sql<number>`instr(${haystack}, ${needle})`,
};

const postgresMatch: NameMatch = {
  ordered: (column) => sql<string>`${sql.ref(column)} collate "C"`,
  position: (haystack, needle) => sql<number>`strpos(${haystack}, ${needle})`,
};

export function nameMatchFor(dialect: Pick<DialectCapabilities, 'name'>): NameMatch {
  return dialect.name === 'postgres' ? postgresMatch : sqliteMatch;
}
