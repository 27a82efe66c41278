import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, LoginChallengesTable, UsersTable } from '../store/schema.ts';
import { hashSessionId } from './sessions.ts';

/**
 * A login whose password was right, waiting for the second factor. It opens nothing by itself:
 * the browser holds a random token (256 bits, in a cookie) and the store only its sha256, like
 * a session id. It ends after CHALLENGE_MS or CHALLENGE_FAILURES wrong codes, whichever comes
 * first, and then the password is asked again; wrong codes also count on the login throttle.
 */
export const CHALLENGE_MS = 5 * 60_000;
export const CHALLENGE_FAILURES = 5;

/** A new challenge for the user: the token for the cookie. Challenges past their time go. */
export async function createChallenge(db: Kysely<Database>, userId: string, now: number): Promise<string> {
  await db
    .deleteFrom('login_challenges')
    .where('created_at', '<=', now - CHALLENGE_MS)
    .execute();
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('login_challenges')
    .values({ token_hash: hashSessionId(token), user_id: userId, created_at: now, failures: 0 })
    .execute();
  return token;
}

/** The live challenge of a token with its user, or null (unknown, or past its time: then deleted). */
export async function findChallenge(db: Kysely<Database>, token: string, now: number): Promise<{ challenge: LoginChallengesTable; user: UsersTable } | null> {
  if (!token || token.length > 100) return null;
  const tokenHash = hashSessionId(token);
  const row = await db
    .selectFrom('login_challenges')
    .innerJoin('users', 'users.id', 'login_challenges.user_id')
    .selectAll('users')
    .select(['login_challenges.created_at as challenge_created_at', 'login_challenges.failures as challenge_failures'])
    .where('login_challenges.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return null;
  const { challenge_created_at, challenge_failures, ...user } = row;
  if (Number(challenge_created_at) + CHALLENGE_MS <= now || Number(challenge_failures) >= CHALLENGE_FAILURES) {
    await endChallenge(db, token);
    return null;
  }
  return { challenge: { token_hash: tokenHash, user_id: user.id, created_at: Number(challenge_created_at), failures: Number(challenge_failures) }, user };
}

/** Counts a wrong code; true when that was the last one allowed (the challenge is then gone). */
export async function failChallenge(db: Kysely<Database>, token: string): Promise<boolean> {
  const row = await db
    .updateTable('login_challenges')
    .set((eb) => ({ failures: eb('failures', '+', 1) }))
    .where('token_hash', '=', hashSessionId(token))
    .returning('failures')
    .executeTakeFirst();
  if (row && Number(row.failures) < CHALLENGE_FAILURES) return false;
  await endChallenge(db, token);
  return true;
}

/** Ends a challenge; true when this call ended it (of two racing, one). */
export async function endChallenge(db: Kysely<Database>, token: string): Promise<boolean> {
  const result = await db.deleteFrom('login_challenges').where('token_hash', '=', hashSessionId(token)).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
