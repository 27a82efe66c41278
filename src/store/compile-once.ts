import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { directReadsOf } from './direct-reads.ts';

const SENTINEL = '\u0000cercapec-param:';

interface Compiled<P extends string, R> {
  query: CompiledQuery<R>;
  names: P[];
  /** The handle's direct runner of this SQL (SQLite: see direct-reads.ts); null: through Kysely. */
  direct: ((parameters: readonly unknown[]) => unknown[] | null) | null;
}

/**
 * A query built and compiled once per database handle, then run with new parameter values.
 * Building and compiling a Kysely query costs more than SQLite takes to run a primary-key read
 * (measured in process, a poll's request read: 46-60 µs built each time, 33 µs compiled once,
 * 18-22 µs for better-sqlite3 alone), so the reads on every request's path (polls, key checks)
 * compile once. The compiled SQL differs by dialect, hence one per handle.
 *
 * `build` receives `param(name)`, a placeholder to pass where a value goes (typed `never` so it
 * fits any column); each placeholder must
 * end up as one bound parameter (a plain comparison, not an `in` list).
 *
 * @example
 * const byId = compileOnce((db, param) => db.selectFrom('requests').selectAll().where('id', '=', param('id')));
 * const rows = await byId(store.reader, { id });
 */
export function compileOnce<P extends string, R>(build: (db: Kysely<Database>, param: (name: P) => never) => Compilable<R>): CompiledRead<P, R> {
  const compiled = new WeakMap<Kysely<Database>, Compiled<P, R>>();
  const entryFor = (db: Kysely<Database>) => {
    let entry = compiled.get(db);
    if (!entry) {
      entry = compileWithPlaceholders(db, build);
      compiled.set(db, entry);
    }
    return entry;
  };
  const read = async (db: Kysely<Database>, values: Record<P, unknown>) => run(db, entryFor(db), values);
  return Object.assign(read, {
    now(db: Kysely<Database>, values: Record<P, unknown>): R[] | null {
      const entry = entryFor(db);
      return entry.direct ? (entry.direct(entry.names.map((name) => values[name])) as R[] | null) : null;
    },
  });
}

/** A read compiled once (compileOnce): called, it answers a promise of the rows, on any handle. */
export interface CompiledRead<P extends string, R> {
  (db: Kysely<Database>, values: Record<P, unknown>): Promise<R[]>;
  /**
   * The rows at once, synchronously, where the handle runs the read directly (SQLite outside a
   * transaction, see direct-reads.ts); null where it does not (PostgreSQL, a transaction holding
   * the connection): then call the read itself. For a caller that can answer without a promise
   * (the text protocol's poll: fast-path.ts), where a chain of async functions costs more than the
   * read.
   */
  now(db: Kysely<Database>, values: Record<P, unknown>): R[] | null;
}

/**
 * compileOnce for a query whose shape varies from call to call (a name search: how many words,
 * which filters): one compiled query per handle and `shape`, a key the caller derives from
 * whatever changes the SQL (the same key must always build the same SQL). At most `maxShapes`
 * are kept per handle; past that the oldest is dropped.
 *
 * @example
 * const search = compileByShape<'word', Row>(64);
 * const rows = await search(store.reader, `${words.length}`, (db, param) => buildQuery(db, words.length, param), values);
 */
export function compileByShape<P extends string, R>(
  maxShapes: number,
): (
  db: Kysely<Database>,
  shape: string,
  build: (db: Kysely<Database>, param: (name: P) => never) => Compilable<R>,
  values: Record<P, unknown>,
) => Promise<R[]> {
  const compiled = new WeakMap<Kysely<Database>, Map<string, Compiled<P, R>>>();
  return async (db, shape, build, values) => {
    let shapes = compiled.get(db);
    if (!shapes) {
      shapes = new Map();
      compiled.set(db, shapes);
    }
    let entry = shapes.get(shape);
    if (!entry) {
      entry = compileWithPlaceholders(db, build);
      if (shapes.size >= maxShapes) shapes.delete(shapes.keys().next().value!);
      shapes.set(shape, entry);
    }
    return run(db, entry, values);
  };
}

function compileWithPlaceholders<P extends string, R>(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, param: (name: P) => never) => Compilable<R>,
): Compiled<P, R> {
  const query = build(db, (name) => `${SENTINEL}${name}` as never).compile();
  const names = query.parameters.map((p) => {
    if (typeof p !== 'string' || !p.startsWith(SENTINEL)) throw new Error(`compileOnce: a bound value is not a placeholder in ${query.sql}`);
    return p.slice(SENTINEL.length) as P;
  });
  return { query, names, direct: directReadsOf(db)?.prepare(query.sql) ?? null };
}

/**
 * The rows themselves when the handle ran the read directly: the calling async function then
 * resolves at once, where returning a promise from it costs two more turns of the microtask queue.
 */
function run<P extends string, R>(db: Kysely<Database>, entry: Compiled<P, R>, values: Record<P, unknown>): R[] | Promise<R[]> {
  const parameters = entry.names.map((name) => values[name]);
  const rows = entry.direct?.(parameters);
  if (rows) return rows as R[];
  return db.executeQuery<R>({ ...entry.query, parameters }).then((result) => result.rows);
}
