import type { Kysely } from 'kysely';

/**
 * A one-time message per back-office session (post/redirect/get, issue 17): what a POST wants the
 * next page to show (a new API key, shown once) waits here, encrypted with a key derived from the
 * session id (src/users/session-flash.ts), until the page it redirects to takes it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('admin_sessions').addColumn('flash', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('admin_sessions').dropColumn('flash').execute();
}
