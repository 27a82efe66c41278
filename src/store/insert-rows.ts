import { CompiledQuery, sql, type Insertable, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

type Placeholders = (index: number) => string;
const styles = new WeakMap<object, Placeholders>();

/** `?` on SQLite, `$1` on PostgreSQL: asked of the dialect's own compiler once per adapter. */
function placeholdersOf(db: Kysely<Database>): Placeholders {
  const adapter = db.getExecutor().adapter;
  let style = styles.get(adapter);
  if (!style) {
    const probe = db.selectNoFrom(sql<number>`${1}`.as('x')).compile().sql;
    style = probe.includes('$1') ? (i) => `$${i}` : () => '?';
    styles.set(adapter, style);
  }
  return style;
}

/**
 * Multi-row inserts written as SQL text directly. Kysely's insert builder parses and freezes
 * every value of every row: in a batch of a million lookups that cost as much CPU as some of
 * SQLite's own writes (parseRowValues alone was 6% of the server's profile). Every row must have
 * the same columns, which come from the code, never from input; values are bound, never inlined.
 */
export async function insertRows<T extends keyof Database & string>(db: Kysely<Database>, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const placeholder = placeholdersOf(db);
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  for (let from = 0; from < rows.length; from += perStatement) {
    const slice = rows.slice(from, from + perStatement);
    const parameters: unknown[] = [];
    const tuples: string[] = [];
    for (const row of slice) {
      const values = row as Record<string, unknown>;
      const marks: string[] = [];
      for (const column of columns) {
        parameters.push(values[column] ?? null);
        marks.push(placeholder(parameters.length));
      }
      tuples.push(`(${marks.join(', ')})`);
    }
    await db.executeQuery(CompiledQuery.raw(head + tuples.join(', '), parameters));
  }
}
