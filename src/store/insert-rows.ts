import { CompiledQuery, sql, type Insertable, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

/** The values list of `rows` rows of `width` columns: `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`. */
type ValuesList = (rows: number, width: number) => string;
const styles = new WeakMap<object, ValuesList>();

/**
 * `?` on SQLite, `$1` on PostgreSQL: asked of the dialect's own compiler once per adapter. With
 * `?` every tuple is the same text, built once per statement rather than a mark per value: in a
 * million-code batch the marks were about 4% of the server's CPU.
 */
function valuesListOf(db: Kysely<Database>): ValuesList {
  const adapter = db.getExecutor().adapter;
  let style = styles.get(adapter);
  if (!style) {
    const probe = db.selectNoFrom(sql<number>`${1}`.as('x')).compile().sql;
    style = probe.includes('$1') ? numberedValues : anonymousValues;
    styles.set(adapter, style);
  }
  return style;
}

function anonymousValues(rows: number, width: number): string {
  const tuple = `(${new Array<string>(width).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(tuple).join(', ');
}

function numberedValues(rows: number, width: number): string {
  const tuples: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const marks: string[] = [];
    for (let c = 0; c < width; c++) marks.push(`$${++n}`);
    tuples.push(`(${marks.join(', ')})`);
  }
  return tuples.join(', ');
}

/**
 * Smaller statements with a pause between them (a turn of the event loop): on SQLite a statement
 * runs synchronously, and a batch chunk's 2,000-row inserts held the event loop 7-30 ms each, as
 * long as a poll's whole budget.
 */
export interface StatementSplit {
  rowsPerStatement: number;
  pause: () => Promise<void>;
}

/**
 * Multi-row inserts written as SQL text directly. Kysely's insert builder parses and freezes
 * every value of every row: in a batch of a million lookups that cost as much CPU as some of
 * SQLite's own writes (parseRowValues alone was 6% of the server's profile). Every row must have
 * the same columns, which come from the code, never from input; values are bound, never inlined.
 */
export async function insertRows<T extends keyof Database & string>(
  db: Kysely<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  split?: StatementSplit,
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const perStatement = Math.max(1, Math.min(split?.rowsPerStatement ?? Infinity, Math.floor(MAX_PARAMETERS / columns.length)));
  const valuesList = valuesListOf(db);
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  for (let from = 0; from < rows.length; from += perStatement) {
    if (from > 0 && split) await split.pause();
    const to = Math.min(rows.length, from + perStatement);
    const parameters = new Array<unknown>((to - from) * columns.length);
    let p = 0;
    for (let r = from; r < to; r++) {
      const values = rows[r] as Record<string, unknown>;
      for (const column of columns) parameters[p++] = values[column] ?? null;
    }
    await db.executeQuery(CompiledQuery.raw(head + valuesList(to - from, columns.length), parameters));
  }
}
