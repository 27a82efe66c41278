import type { Kysely } from 'kysely';

/**
 * Customer users (the portal, /portal): a user with role `customer` belongs to one account and
 * sees only that account. Staff (admin, operator) have no account (null). Sessions, the login
 * throttle and the audit log are the back office's tables, shared: the role decides which
 * part of the site a session opens (src/users/sessions.ts, realms).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
    .execute();
  await db.schema.createIndex('users_account').on('users').column('account_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_account').execute();
  await db.schema.alterTable('users').dropColumn('account_id').execute();
}
