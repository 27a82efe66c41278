import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { checkTotp, isTotpCode } from './totp.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Which kind of code opened the way: an app's TOTP code, or a recovery code (now used up). */
export type SecondFactor = 'totp' | 'recovery';

export interface TotpState {
  /** Since when the second factor is asked at login; null: it is not. */
  enabledAt: number | null;
  /** A secret waiting for its first code (enrolment started, not confirmed). */
  pendingSecret: string | null;
  /** Recovery codes not used yet. */
  recoveryLeft: number;
}

export async function totpState(db: Db, userId: string): Promise<TotpState> {
  const row = await db.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', userId).executeTakeFirst();
  const left = await db
    .selectFrom('totp_recovery_codes')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const enabledAt = row?.totp_enabled_at == null ? null : Number(row.totp_enabled_at);
  return { enabledAt, pendingSecret: enabledAt === null ? (row?.totp_secret ?? null) : null, recoveryLeft: Number(left.n) };
}

/**
 * Checks a code typed for a user with a second factor and uses it up: a TOTP code moves the
 * user's last accepted step to its own (a conditional update, so two requests racing with the
 * same code cannot both pass), a recovery code's row is deleted (the same: one delete wins).
 * Six digits are a TOTP code; anything else is tried as a recovery code. null: refused.
 */
export async function useSecondFactor(db: Db, userId: string, typed: string, now: number): Promise<SecondFactor | null> {
  const code = typed.replace(/\s/g, '');
  if (isTotpCode(code)) {
    const row = await db.selectFrom('users').select(['totp_secret', 'totp_enabled_at', 'totp_last_step']).where('id', '=', userId).executeTakeFirst();
    if (!row?.totp_secret || row.totp_enabled_at == null) return null;
    const lastStep = row.totp_last_step == null ? null : Number(row.totp_last_step);
    const step = await checkTotp(row.totp_secret, code, now, lastStep);
    if (step === null) return null;
    const moved = await db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1 ? 'totp' : null;
  }
  if (!normalizeRecoveryCode(code)) return null;
  const used = await db
    .deleteFrom('totp_recovery_codes')
    .where('user_id', '=', userId)
    .where('code_hash', '=', hashRecoveryCode(userId, code))
    // Only while the second factor is on: a reset leaves no code behind anyway.
    .where(sql<boolean>`exists (select 1 from users where users.id = ${userId} and users.totp_enabled_at is not null)`)
    .executeTakeFirst();
  return Number(used.numDeletedRows) === 1 ? 'recovery' : null;
}
