import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** `failures` failed logins for one username within `windowMs` lock it for `windowMs`. 0 failures: never. */
export interface LockoutPolicy {
  failures: number;
  windowMs: number;
}

/** When the username is locked out, until when; null when it may try. */
export async function lockedUntil(db: Kysely<Database>, username: string, now: number): Promise<number | null> {
  const row = await db.selectFrom('login_failures').select('locked_until').where('username', '=', username).executeTakeFirst();
  const until = row?.locked_until === null || row?.locked_until === undefined ? null : Number(row.locked_until);
  return until !== null && until > now ? until : null;
}

/**
 * Counts a failed login. Failures older than the window, or from before an expired lock, start
 * the count again; reaching the limit locks the name for the window (attempts during a lock are
 * refused before they get here, so they neither count nor extend it). Returns the lock's end
 * when this failure locked it. Known and unknown names are counted alike, so the answers reveal
 * nothing about which exist. Two statements, each atomic on both dialects: concurrent failures
 * are all counted, without a read-then-write race.
 */
export async function recordFailure(db: Kysely<Database>, username: string, now: number, policy: LockoutPolicy): Promise<number | null> {
  if (policy.failures <= 0) return null;
  await db
    .insertInto('login_failures')
    .values({ username, failures: 0, first_failed_at: now, locked_until: null })
    .onConflict((oc) => oc.column('username').doNothing())
    .execute();
  const stale = sql`(first_failed_at <= ${now - policy.windowMs} or (locked_until is not null and locked_until <= ${now}))`;
  const row = await db
    .updateTable('login_failures')
    .set({
      failures: sql`case when ${stale} then 1 else failures + 1 end`,
      first_failed_at: sql`case when ${stale} then ${now} else first_failed_at end`,
      locked_until: sql`case when ${stale} then null else locked_until end`,
    })
    .where('username', '=', username)
    .returning('failures')
    .executeTakeFirstOrThrow();
  if (Number(row.failures) < policy.failures) return null;
  const until = now + policy.windowMs;
  await db.updateTable('login_failures').set({ locked_until: until }).where('username', '=', username).execute();
  return until;
}

/** A successful login clears the name's count, and drops counters nobody has touched for a window. */
export async function clearFailures(db: Kysely<Database>, username: string, now: number, policy: LockoutPolicy): Promise<void> {
  await db.deleteFrom('login_failures').where('username', '=', username).execute();
  await db
    .deleteFrom('login_failures')
    .where('first_failed_at', '<=', now - policy.windowMs)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
}
