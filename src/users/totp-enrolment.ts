import type { Store } from '../store/store.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { newTotpSecret, checkTotp } from './totp.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { useSecondFactor } from './second-factor.ts';
import { verifyPassword } from './password.ts';
import type { User } from './users.ts';

/**
 * Turning the second factor on and off (issue 17 item 12). Enrolment has two steps, so a
 * person who never types a code is never asked for one: `startTotp` keeps a new secret aside,
 * `confirmTotp` turns it on once the app shows a right code, and hands out the recovery codes.
 * Every change is audited, never with a secret or a code.
 */

/** A new secret for the user to add to their app; replaces one not confirmed yet. */
export async function startTotp(store: Store, user: User, now: number): Promise<string> {
  const secret = newTotpSecret();
  const result = await store.db
    .updateTable('users')
    .set({ totp_secret: secret, totp_last_step: null, updated_at: now })
    .where('id', '=', user.id)
    .where('totp_enabled_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new CercapecError(ErrorCode.invalidArgument, `the second factor of "${user.username}" is already on`);
  return secret;
}

/**
 * Turns the second factor on when `code` is right for the secret kept aside: returns the new
 * recovery codes (to show once), or null when the code is wrong or there is no enrolment to confirm.
 */
export async function confirmTotp(store: Store, user: User, code: string, now: number, audit: AuditBy): Promise<string[] | null> {
  const row = await store.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', user.id).executeTakeFirst();
  if (!row?.totp_secret || row.totp_enabled_at != null) return null;
  const secret = row.totp_secret;
  const step = await checkTotp(secret, code.replace(/\s/g, ''), now, null);
  if (step === null) return null;
  const codes = newRecoveryCodes();
  const confirmed = await store.db.transaction().execute(async (trx) => {
    const on = await trx
      .updateTable('users')
      .set({ totp_enabled_at: now, totp_last_step: step, updated_at: now })
      .where('id', '=', user.id)
      .where('totp_secret', '=', secret)
      .where('totp_enabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(on.numUpdatedRows) !== 1) return false;
    await trx.deleteFrom('totp_recovery_codes').where('user_id', '=', user.id).execute();
    await trx
      .insertInto('totp_recovery_codes')
      .values(codes.map((c) => ({ user_id: user.id, code_hash: hashRecoveryCode(user.id, c), created_at: now })))
      .execute();
    await recordAudit(trx, { at: now, actor: audit.actor, action: 'user.totp', target: user.id, before: { enabled: false }, after: { enabled: true } });
    return true;
  });
  return confirmed ? codes : null;
}

/**
 * The person turns their own second factor off: their password and a code (or a recovery
 * code) are both needed, so a session left open is not enough. False when either is wrong.
 */
export async function disableTotp(store: Store, user: User, input: { password: string; code: string }, now: number, audit: AuditBy): Promise<boolean> {
  const row = await store.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirst();
  if (!row || !(await verifyPassword(input.password.slice(0, 1024), row.password_hash))) return false;
  return store.db.transaction().execute(async (trx) => {
    if (!(await useSecondFactor(trx, user.id, input.code, now))) return false;
    await clearTotp(trx, user.id, now);
    await recordAudit(trx, { at: now, actor: audit.actor, action: 'user.totp', target: user.id, before: { enabled: true }, after: { enabled: false } });
    return true;
  });
}

/**
 * An admin (back office, or `cercapec users totp-reset`) turns someone's second factor off, for
 * a person who lost their phone and their recovery codes. False when it was not on.
 */
export async function resetTotp(store: Store, user: User, now: number, audit: AuditBy): Promise<boolean> {
  return store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', user.id).executeTakeFirst();
    if (!row?.totp_secret) return false;
    await clearTotp(trx, user.id, now);
    const wasOn = row.totp_enabled_at != null;
    if (wasOn)
      await recordAudit(trx, { at: now, actor: audit.actor, action: 'user.totp_reset', target: user.id, before: { enabled: true }, after: { enabled: false } });
    return wasOn;
  });
}

async function clearTotp(trx: Parameters<typeof useSecondFactor>[0], userId: string, now: number): Promise<void> {
  await trx.updateTable('users').set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: now }).where('id', '=', userId).execute();
  await trx.deleteFrom('totp_recovery_codes').where('user_id', '=', userId).execute();
  await trx.deleteFrom('login_challenges').where('user_id', '=', userId).execute();
}
