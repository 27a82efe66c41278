import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.ts';

const SENTINEL = '\u0000cercapec-param:';

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
export function compileOnce<P extends string, R>(
  build: (db: Kysely<Database>, param: (name: P) => never) => Compilable<R>,
): (db: Kysely<Database>, values: Record<P, unknown>) => Promise<R[]> {
  const compiled = new WeakMap<Kysely<Database>, { query: CompiledQuery<R>; names: P[] }>();
  return async (db, values) => {
    let entry = compiled.get(db);
    if (!entry) {
      const query = build(db, (name) => `${SENTINEL}${name}` as never).compile();
      const names = query.parameters.map((p) => {
        if (typeof p !== 'string' || !p.startsWith(SENTINEL)) throw new Error(`compileOnce: a bound value is not a placeholder in ${query.sql}`);
        return p.slice(SENTINEL.length) as P;
      });
      entry = { query, names };
      compiled.set(db, entry);
    }
    const parameters = entry.names.map((name) => values[name]);
    return (await db.executeQuery<R>({ ...entry.query, parameters })).rows;
  };
}
