import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { toUser, type User } from './users.ts';
import { UserStatus } from './user-status.ts';

/**
 * Which part of the site a session opens: staff (admins, operators) the back office, customers
 * the portal. The two share the sessions table, so a session id moved from one cookie to the
 * other opens nothing: every check names its realm, and the default is the back office's.
 */
export type Realm = 'staff' | 'customer';

export function inRealm(role: string, realm: Realm): boolean {
  return realm === 'customer' ? role === 'customer' : role === 'admin' || role === 'operator';
}

/** How long a session lives: idle expiry, and an absolute cap counted from the login. */
export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

/**
 * Session ids are 256 random bits, handed out once in the cookie; the store keeps only their
 * sha256, so reading the table (a backup, copy-store) opens no session. sha256 is enough for
 * values that random: there is nothing to brute-force.
 */
export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * The session's CSRF token, derived from the session id rather than stored: only a holder of
 * the cookie can compute it, and it cannot be computed from the stored hash.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('cercapec-admin-csrf').digest('base64url');
}

export async function createSession(db: Kysely<Database>, userId: string, now: number): Promise<string> {
  const sessionId = randomBytes(32).toString('base64url');
  await db
    .insertInto('admin_sessions')
    .values({ token_hash: hashSessionId(sessionId), user_id: userId, created_at: now, last_seen_at: now })
    .execute();
  return sessionId;
}

/**
 * The active user of a session, or null when it is unknown, of another realm, idle for too long, past its
 * lifetime, or its user is disabled. A live session's idle clock restarts (last_seen_at = now);
 * an expired one is deleted.
 */
export async function resumeSession(db: Kysely<Database>, sessionId: string, now: number, policy: SessionPolicy, realm: Realm = 'staff'): Promise<User | null> {
  if (!sessionId || sessionId.length > 100) return null;
  const tokenHash = hashSessionId(sessionId);
  const row = await db
    .selectFrom('admin_sessions')
    .innerJoin('users', 'users.id', 'admin_sessions.user_id')
    .selectAll('users')
    .select(['admin_sessions.created_at as session_created_at', 'admin_sessions.last_seen_at'])
    .where('admin_sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
  // Another realm's session is not touched: it still works where it belongs.
  if (!row || !inRealm(row.role, realm)) return null;
  const expired = Number(row.last_seen_at) + policy.idleMs <= now || Number(row.session_created_at) + policy.maxMs <= now;
  if (expired || row.status !== UserStatus.active) {
    await db.deleteFrom('admin_sessions').where('token_hash', '=', tokenHash).execute();
    return null;
  }
  await db.updateTable('admin_sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();
  return toUser(row);
}

export async function endSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('token_hash', '=', hashSessionId(sessionId)).execute();
}

/** Deletes every expired session (at each login: the table stays as small as the staff). */
export async function purgeSessions(db: Kysely<Database>, now: number, policy: SessionPolicy): Promise<number> {
  const result = await db
    .deleteFrom('admin_sessions')
    .where((eb) => eb.or([eb('last_seen_at', '<=', now - policy.idleMs), eb('created_at', '<=', now - policy.maxMs)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
