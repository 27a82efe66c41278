import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

/**
 * Runs a long bulk write with the store's bulk handle where it has one (a SQLite file: a worker
 * thread's connection, see worker-writer.ts), otherwise with db. `write` must use only the handle
 * it is given.
 */
export function runBulk<T>(store: Store, write: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.bulk ? store.bulk.run(write) : write(store.db);
}
