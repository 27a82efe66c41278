import type { Kysely } from 'kysely';

/**
 * One counter that every change to who may use a key moves (a key revoked, an account disabled,
 * its terms changed), in the changing transaction. Processes cache key -> account and compare
 * the counter (SQLite: one indexed read on the reading connection; PostgreSQL: NOTIFY), so the
 * cache is on by default and a revoked key is refused on the next request.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_epoch')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('auth_epoch').values({ id: 1, epoch: 0 }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('auth_epoch').execute();
}
