import { sql, type Kysely } from 'kysely';
import { TABLE_KEYS, type Database } from './schema.ts';
import type { Store } from './store.ts';
import { CercapecError, ErrorCode } from '../errors.ts';

type Table = keyof typeof TABLE_KEYS;
type Row = Record<string, unknown>;

/** Every table, in foreign-key order (parents first): the order of TABLE_KEYS. */
/** auth_epoch is each store's own cache counter (created by the migrations), not data to move. */
export const COPIED_TABLES = (Object.keys(TABLE_KEYS) as Table[]).filter((t) => t !== 'auth_epoch');

/**
 * Rows per read and per insert. The widest table (requests, 19 columns) then binds 9,500
 * parameters per insert: under SQLite's 32,766 and PostgreSQL's 65,535.
 */
const DEFAULT_PAGE_SIZE = 500;

export interface CopyOptions {
  /** Empty the target tables first (in the same transaction) instead of refusing. */
  replace?: boolean;
  /** Called after each page: rows of `table` copied so far, out of `total`. */
  onProgress?: (table: string, copied: number, total: number) => void;
  /** Rows per page (tests use a tiny one so every table spans several pages). */
  pageSize?: number;
}

/**
 * Moves a whole installation between stores (embedded SQLite <-> PostgreSQL, or either to
 * itself elsewhere). Tables are copied in foreign-key order, in pages ordered by each table's
 * key (keyset paging: no table is ever held whole in memory), all inside one transaction on the
 * target, so a failed copy leaves the target as it was. The source is read in one snapshot: a
 * server still writing to it does not make the copy inconsistent, it just is not in it.
 *
 * Refuses (invalid_argument) a target holding any row unless `replace`, two stores at different
 * migrations, and a store copied onto itself. Returns the rows copied per table.
 *
 * @example
 * const counts = await copyStore(await openStore({ dataDir: './data' }),
 *   await openStore({ databaseUrl: 'postgres://…', dataDir: '' }));
 * // { accounts: 3, api_keys: 4, ledger: 120, … }
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<Record<string, number>> {
  if (from.description === to.description && !from.description.includes('in memory')) {
    throw new CercapecError(ErrorCode.invalidArgument, `source and target are the same store (${from.description})`);
  }
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  return readSnapshot(from, async (source) => {
    const sourceMigrations = await appliedMigrations(source);
    return to.db.transaction().execute(async (target) => {
      const targetMigrations = await appliedMigrations(target);
      if (sourceMigrations.join() !== targetMigrations.join()) {
        throw new CercapecError(
          ErrorCode.invalidArgument,
          `the stores are at different migrations (source: ${last(sourceMigrations)}, target: ${last(targetMigrations)}): run "cercapec migrate" on both with the same version`,
        );
      }
      await emptyTarget(target, options.replace ?? false);
      const counts: Record<string, number> = {};
      for (const table of COPIED_TABLES) {
        counts[table] = await copyTable(source, target, table, pageSize, (copied, total) => options.onProgress?.(table, copied, total));
      }
      return counts;
    });
  });
}

/**
 * Runs `read` on one connection inside a read-only snapshot. SQLite: a deferred BEGIN, whose
 * snapshot starts at the first read and, in WAL mode, does not block the source's writers (a
 * BEGIN IMMEDIATE, what the store's transactions use, would). PostgreSQL: REPEATABLE READ.
 */
async function readSnapshot<T>(store: Store, read: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const begin = store.dialect.name === 'postgres' ? 'begin isolation level repeatable read read only' : 'begin';
  return store.db.connection().execute(async (db) => {
    await sql.raw(begin).execute(db);
    try {
      const result = await read(db);
      await sql`commit`.execute(db);
      return result;
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  });
}

/** Kysely's own table (in the store's schema on PostgreSQL, see migrate.ts). */
async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

function last(names: string[]): string {
  return names[names.length - 1] ?? 'none';
}

async function emptyTarget(target: Kysely<Database>, replace: boolean): Promise<void> {
  const occupied: string[] = [];
  for (const table of COPIED_TABLES) {
    if (await target.selectFrom(table).select(sql<number>`1`.as('one')).limit(1).executeTakeFirst()) occupied.push(table);
  }
  if (occupied.length === 0) return;
  if (!replace) {
    throw new CercapecError(ErrorCode.invalidArgument, `the target store is not empty (rows in ${occupied.join(', ')}): use --replace to overwrite it`);
  }
  for (const table of [...COPIED_TABLES].reverse()) await target.deleteFrom(table).execute();
}

async function copyTable(
  source: Kysely<Database>,
  target: Kysely<Database>,
  table: Table,
  pageSize: number,
  progress: (copied: number, total: number) => void,
): Promise<number> {
  // Tables are named by a loop variable, so their row types are unknown here.
  const from = source as unknown as Kysely<Record<string, Row>>;
  const to = target as unknown as Kysely<Record<string, Row>>;
  const keys: readonly string[] = TABLE_KEYS[table];
  const keyList = sql.join(keys.map((k) => sql.ref(k)));
  const total = Number((await from.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  let after: unknown[] | null = null;
  let copied = 0;
  while (copied < total) {
    let query = from.selectFrom(table).selectAll();
    // A row-value comparison, (k1, k2) > (v1, v2), on both dialects (SQLite >= 3.15).
    if (after) query = query.where(sql<boolean>`(${keyList}) > (${sql.join(after)})`);
    for (const key of keys) query = query.orderBy(key);
    const rows = await query.limit(pageSize).execute();
    if (rows.length === 0) break;
    await to.insertInto(table).values(rows).execute();
    copied += rows.length;
    progress(copied, total);
    const lastRow = rows[rows.length - 1];
    after = keys.map((k) => lastRow[k]);
  }
  // The snapshot cannot change under us, so a difference means the key is not unique
  // (directory_entries has no constraint on it) and paging skipped rows.
  if (copied !== total) {
    throw new Error(`${table}: copied ${copied} rows of ${total}; (${keys.join(', ')}) is not unique in the source`);
  }
  return copied;
}
