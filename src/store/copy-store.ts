import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { TABLE_KEYS } from './schema.ts';
import type { Store } from './store.ts';
import { CercapecError, ErrorCode } from '../errors.ts';

const PAGE = 500;
type Table = keyof typeof TABLE_KEYS;

export interface CopyOptions {
  /** Empty the target tables first (in the same transaction) instead of refusing. */
  replace?: boolean;
  onProgress?: (table: string, rows: number) => void;
}

/**
 * Moves a whole installation between stores (embedded SQLite <-> PostgreSQL), table by table
 * in foreign-key order, in pages ordered by each table's key (keyset paging: nothing is held
 * whole in memory), inside one transaction on the target: a failed copy leaves it as it was.
 * Both stores must be migrated to the same version.
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<Record<string, number>> {
  const tables = Object.keys(TABLE_KEYS) as Table[];
  const counts: Record<string, number> = {};
  await to.db.transaction().execute(async (trx) => {
    const occupied: string[] = [];
    for (const table of tables) {
      const row = await trx.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
      if (Number(row.n) > 0) occupied.push(table);
    }
    if (occupied.length && !options.replace) {
      throw new CercapecError(ErrorCode.invalidArgument, `the target store is not empty (${occupied.join(', ')}): use --replace to overwrite it`);
    }
    for (const table of [...tables].reverse()) await trx.deleteFrom(table).execute();
    for (const table of tables) {
      counts[table] = await copyTable(from, trx, table, (n) => options.onProgress?.(table, n));
    }
  });
  return counts;
}

async function copyTable(from: Store, trx: Transaction<Database>, table: Table, progress: (n: number) => void): Promise<number> {
  const keys = TABLE_KEYS[table] as readonly string[];
  let after: unknown[] | null = null;
  let copied = 0;
  for (;;) {
    let query = from.db.selectFrom(table).selectAll() as any;
    if (after) {
      const last = after;
      query = query.where((eb: any) => eb(eb.refTuple(...keys), '>', eb.tuple(...last)));
    }
    for (const key of keys) query = query.orderBy(key);
    const rows = (await query.limit(PAGE).execute()) as Record<string, unknown>[];
    if (rows.length === 0) break;
    await trx.insertInto(table).values(rows as any).execute();
    copied += rows.length;
    progress(copied);
    const lastRow = rows[rows.length - 1];
    after = keys.map((k) => lastRow[k]);
    if (rows.length < PAGE) break;
  }
  return copied;
}
