import type { Kysely } from 'kysely';

/**
 * An optional TOTP second factor (issue 17 item 12; src/users/second-factor.ts):
 * - on users: the base32 secret (set when enrolment starts, in use once `totp_enabled_at` is set)
 *   and the last time step accepted, so a code is never accepted twice;
 * - totp_recovery_codes: single-use recovery codes, only their sha256, deleted when used;
 * - login_challenges: a login whose password was right and whose code is awaited, named by the
 *   sha256 of a random token held in a short-lived cookie. It opens no session by itself.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('totp_secret', 'text').execute();
  await db.schema.alterTable('users').addColumn('totp_enabled_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('totp_last_step', 'bigint').execute();

  await db.schema
    .createTable('totp_recovery_codes')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('totp_recovery_codes_pk', ['user_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('login_challenges')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_challenges_user').on('login_challenges').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_challenges').execute();
  await db.schema.dropTable('totp_recovery_codes').execute();
  for (const column of ['totp_last_step', 'totp_enabled_at', 'totp_secret']) await db.schema.alterTable('users').dropColumn(column).execute();
}
