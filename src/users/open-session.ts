import type { Store } from '../store/store.ts';
import type { UsersTable } from '../store/schema.ts';
import { recordAudit, userActor } from '../audit/record-audit.ts';
import { createSession, purgeSessions, type SessionPolicy } from './sessions.ts';
import type { SecondFactor } from './second-factor.ts';
import { toUser, type User } from './users.ts';

/**
 * The end of every login that succeeded: a new session, the user's last login, and an
 * auth.login record (naming the second factor used, when one was asked). Expired sessions go
 * at the same time: the table stays as small as the people logged in.
 */
export async function openSession(
  store: Store,
  row: UsersTable,
  now: number,
  policy: SessionPolicy,
  factor?: SecondFactor,
): Promise<{ user: User; sessionId: string }> {
  await purgeSessions(store.db, now, policy);
  const sessionId = await createSession(store.db, row.id, now);
  await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', row.id).execute();
    await recordAudit(trx, {
      at: now,
      actor: userActor(row.username),
      action: 'auth.login',
      target: row.id,
      ...(factor ? { before: null, after: { second_factor: factor } } : {}),
    });
  });
  return { user: toUser({ ...row, last_login_at: now }), sessionId };
}
