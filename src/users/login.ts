import type { Store } from '../store/store.ts';
import { recordAudit, userActor } from '../audit/record-audit.ts';
import { decoyHash, SCRYPT_PARAMS, verifyPassword, type ScryptParams } from './password.ts';
import type { User } from './users.ts';
import { clearFailures, recordFailure, retryAt, type FailureOutcome, type LoginSource, type ThrottlePolicy } from './login-throttle.ts';
import { endSession, inRealm, type Realm, type SessionPolicy } from './sessions.ts';
import { createChallenge } from './login-challenge.ts';
import { openSession } from './open-session.ts';
import { UserStatus } from './user-status.ts';

export interface LoginPolicy {
  session: SessionPolicy;
  throttle: ThrottlePolicy;
  /** The configured hashing cost: an unknown name is checked against a decoy hashed at it. */
  scrypt?: ScryptParams;
  /** Who may log in here: staff (the back office, the default) or customers (the portal). */
  realm?: Realm;
}

export type LoginResult =
  | { ok: true; user: User; sessionId: string }
  /** invalid: wrong name or password, or a disabled user (the answer does not say which). */
  | { ok: false; reason: 'invalid' }
  /** throttled: too many failures from this address (for this name, or any): try again at retryAt. */
  | { ok: false; reason: 'throttled'; retryAt: number }
  /**
   * second-factor: the password was right and the user has a second factor: no session yet.
   * `challenge` (for a short-lived cookie) goes with the code to completeLogin (login-second-step.ts).
   */
  | { ok: false; reason: 'second-factor'; challenge: string };

/**
 * Checks a username and password and opens a session (for a user with a second factor, a
 * challenge that the code completes: login-second-step.ts). An address that must wait after repeated
 * failures (src/users/login-throttle.ts) is refused before the password is checked, whatever
 * it is; other addresses, the owner's included, are not affected. An unknown name costs a full
 * scrypt like a wrong password. Logins and the moments a throttle starts go to the audit log
 * (single failures do not: anyone can make them, and they are counted in login_failures).
 */
export async function login(
  store: Store,
  input: { username: string; password: string; address: string; now: number },
  policy: LoginPolicy,
): Promise<LoginResult> {
  const { now } = input;
  const username = input.username.trim().toLowerCase().slice(0, 64);
  const source = { username, address: input.address || 'unknown' };
  const waitUntil = await retryAt(store.db, source, now, policy.throttle);
  if (waitUntil !== null) return { ok: false, reason: 'throttled', retryAt: waitUntil };
  const row = username ? await store.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst() : undefined;
  const passwordOk = await verifyPassword(input.password.slice(0, 1024), row?.password_hash ?? decoyHash(policy.scrypt ?? SCRYPT_PARAMS));
  // A person of the other realm is refused like a wrong password: the answer does not say who exists where.
  if (!row || !passwordOk || row.status !== UserStatus.active || !inRealm(row.role, policy.realm ?? 'staff')) {
    const failure = await countLoginFailure(store, source, now, policy.throttle, row?.id ?? null);
    return failure.retryAt === null ? { ok: false, reason: 'invalid' } : { ok: false, reason: 'throttled', retryAt: failure.retryAt };
  }
  // With a second factor the password alone opens nothing, and clears no counter: wrong codes
  // count on the same throttle, and a right password must not wipe them between two guesses.
  if (row.totp_enabled_at != null) return { ok: false, reason: 'second-factor', challenge: await createChallenge(store.db, row.id, now) };
  await clearFailures(store.db, source, now, policy.throttle);
  return { ok: true, ...(await openSession(store, row, now, policy.session)) };
}

/** Counts a failed login (a wrong password, or a wrong code) and audits the moment a throttle starts. */
export async function countLoginFailure(
  store: Store,
  source: LoginSource,
  now: number,
  throttle: ThrottlePolicy,
  target: string | null,
): Promise<FailureOutcome> {
  const failure = await recordFailure(store.db, source, now, throttle);
  if (failure.started.length > 0) {
    await recordAudit(store.db, {
      at: now,
      actor: 'system',
      action: 'auth.throttle',
      target,
      before: null,
      after: { username: source.username, address: source.address, counters: failure.started, retry_at: failure.retryAt },
    });
  }
  return failure;
}

export async function logout(store: Store, sessionId: string, user: User, now: number): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await endSession(trx, sessionId);
    await recordAudit(trx, { at: now, actor: userActor(user.username), action: 'auth.logout', target: user.id });
  });
}
