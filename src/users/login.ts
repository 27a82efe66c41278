import type { Store } from '../store/store.ts';
import { recordAudit, userActor } from '../audit/record-audit.ts';
import { decoyHash, SCRYPT_PARAMS, verifyPassword, type ScryptParams } from './password.ts';
import { toUser, type User } from './users.ts';
import { clearFailures, lockedUntil, recordFailure, type LockoutPolicy } from './lockout.ts';
import { createSession, endSession, purgeSessions, type SessionPolicy } from './sessions.ts';

export interface LoginPolicy {
  session: SessionPolicy;
  lockout: LockoutPolicy;
  /** The configured hashing cost: an unknown name is checked against a decoy hashed at it. */
  scrypt?: ScryptParams;
}

export type LoginResult =
  | { ok: true; user: User; sessionId: string }
  /** invalid: wrong name or password, or a disabled user (the answer does not say which). */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; lockedUntil: number };

/**
 * Checks a username and password and opens a session. A name locked out by repeated failures
 * is refused before its password is checked; an unknown name costs a full scrypt like a wrong
 * password. Logins and lockouts go to the audit log (single failures do not: anyone can make
 * them, and they are counted in login_failures).
 */
export async function login(store: Store, input: { username: string; password: string; now: number }, policy: LoginPolicy): Promise<LoginResult> {
  const { now } = input;
  const username = input.username.trim().toLowerCase().slice(0, 64);
  const locked = await lockedUntil(store.db, username, now);
  if (locked !== null) return { ok: false, reason: 'locked', lockedUntil: locked };
  const row = username ? await store.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst() : undefined;
  const passwordOk = await verifyPassword(input.password.slice(0, 1024), row?.password_hash ?? decoyHash(policy.scrypt ?? SCRYPT_PARAMS));
  if (!row || !passwordOk || row.status !== 'active') {
    const lockedNow = await recordFailure(store.db, username, now, policy.lockout);
    if (lockedNow === null) return { ok: false, reason: 'invalid' };
    await recordAudit(store.db, { at: now, actor: 'system', action: 'auth.lockout', target: row?.id ?? null, before: null, after: { username, locked_until: lockedNow } });
    return { ok: false, reason: 'locked', lockedUntil: lockedNow };
  }
  await clearFailures(store.db, username, now, policy.lockout);
  await purgeSessions(store.db, now, policy.session);
  const sessionId = await createSession(store.db, row.id, now);
  await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', row.id).execute();
    await recordAudit(trx, { at: now, actor: userActor(row.username), action: 'auth.login', target: row.id });
  });
  return { ok: true, user: toUser({ ...row, last_login_at: now }), sessionId };
}

export async function logout(store: Store, sessionId: string, user: User, now: number): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await endSession(trx, sessionId);
    await recordAudit(trx, { at: now, actor: userActor(user.username), action: 'auth.logout', target: user.id });
  });
}
