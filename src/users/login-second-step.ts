import type { Store } from '../store/store.ts';
import type { User } from './users.ts';
import { clearFailures, retryAt } from './login-throttle.ts';
import { inRealm } from './sessions.ts';
import { UserStatus } from './user-status.ts';
import { endChallenge, failChallenge, findChallenge } from './login-challenge.ts';
import { useSecondFactor } from './second-factor.ts';
import { openSession } from './open-session.ts';
import { countLoginFailure, type LoginPolicy } from './login.ts';

export type SecondStepResult =
  | { ok: true; user: User; sessionId: string }
  /** invalid: a wrong code (or one already used); the challenge is still there for another try. */
  | { ok: false; reason: 'invalid' }
  /** expired: no such challenge, past its time or its wrong codes, or its user changed meanwhile: log in again. */
  | { ok: false; reason: 'expired' }
  /** throttled: too many failures from this address: try again at retryAt (the code was not looked at). */
  | { ok: false; reason: 'throttled'; retryAt: number };

/**
 * The second step of a login: the code (TOTP or recovery) for the challenge the password
 * opened. Wrong codes count on the same throttle as wrong passwords, per (username, address)
 * and per address, and the right password does not clear them: guessing codes costs what
 * guessing passwords costs. A waiting address is refused before the code is checked, as a
 * password is. The session opens only here, after the code, and then the counters clear.
 */
export async function completeLogin(
  store: Store,
  input: { challenge: string; code: string; address: string; now: number },
  policy: LoginPolicy,
): Promise<SecondStepResult> {
  const { now } = input;
  const found = await findChallenge(store.db, input.challenge, now);
  if (!found) return { ok: false, reason: 'expired' };
  const { user } = found;
  if (user.status !== UserStatus.active || !inRealm(user.role, policy.realm ?? 'staff') || user.totp_enabled_at == null) {
    await endChallenge(store.db, input.challenge);
    return { ok: false, reason: 'expired' };
  }
  const source = { username: user.username, address: input.address || 'unknown' };
  const waitUntil = await retryAt(store.db, source, now, policy.throttle);
  if (waitUntil !== null) return { ok: false, reason: 'throttled', retryAt: waitUntil };
  const factor = await useSecondFactor(store.db, user.id, input.code.slice(0, 64), now);
  if (!factor) {
    const failure = await countLoginFailure(store, source, now, policy.throttle, user.id);
    if (await failChallenge(store.db, input.challenge)) return { ok: false, reason: 'expired' };
    return failure.retryAt === null ? { ok: false, reason: 'invalid' } : { ok: false, reason: 'throttled', retryAt: failure.retryAt };
  }
  if (!(await endChallenge(store.db, input.challenge))) return { ok: false, reason: 'expired' };
  await clearFailures(store.db, source, now, policy.throttle);
  return { ok: true, ...(await openSession(store, user, now, policy.session, factor)) };
}
