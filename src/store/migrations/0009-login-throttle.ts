import type { Kysely } from 'kysely';

/**
 * Failed back-office logins counted per (username, client address), per address and per
 * username instead of per username alone: a per-username lock let anyone lock the
 * administrators out with four wrong passwords (issue 15). `username` is '' on a per-address
 * row and `address` '' on a per-username one. The counters are short-lived (minutes), so the
 * old ones are dropped rather than carried over.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_failures').execute();
  await db.schema
    .createTable('login_failures')
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_failed_at', 'bigint', (c) => c.notNull())
    .addColumn('last_failed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_failures_pk', ['username', 'address'])
    .execute();
  await db.schema.createIndex('login_failures_last').on('login_failures').column('last_failed_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_failures').execute();
  await db.schema
    .createTable('login_failures')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_failed_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .execute();
}
