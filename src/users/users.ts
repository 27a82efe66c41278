import type { Store } from '../store/store.ts';
import type { UsersTable } from '../store/schema.ts';
import { newId } from '../ids.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { hashPassword, SCRYPT_PARAMS, type ScryptParams } from './password.ts';
import { UserStatus } from './user-status.ts';

export const UserRole = { admin: 'admin', operator: 'operator', customer: 'customer' } as const;
export type UserRole = UsersTable['role'];

/** A user as the rest of the code sees it: never the password hash. */
export interface User {
  id: string;
  username: string;
  role: UserRole;
  status: UsersTable['status'];
  /** A customer's account (the only one they see); null for staff. */
  accountId: string | null;
  createdAt: number;
  lastLoginAt: number | null;
}

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024;

/** Lower-cased; letters, digits and . _ - (2 to 64 characters). */
export function normalizeUsername(input: string): string {
  const username = input.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(username)) {
    throw new CercapecError(ErrorCode.invalidArgument, 'a username is 2 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return username;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new CercapecError(ErrorCode.invalidArgument, `the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new CercapecError(ErrorCode.invalidArgument, `the password must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

export function toUser(row: UsersTable): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    status: row.status,
    accountId: row.account_id ?? null,
    createdAt: Number(row.created_at),
    lastLoginAt: row.last_login_at === null ? null : Number(row.last_login_at),
  };
}

/**
 * `scrypt`: the hashing cost (config passwordHashCost); the stored hash carries it. A customer
 * needs `accountId` (an existing account); staff must not have one.
 */
export async function createUser(
  store: Store,
  now: number,
  input: { username: string; password: string; role: UserRole; accountId?: string | null },
  audit?: AuditBy,
  scrypt: ScryptParams = SCRYPT_PARAMS,
): Promise<User> {
  const username = normalizeUsername(input.username);
  if (!Object.values(UserRole).includes(input.role)) throw new CercapecError(ErrorCode.invalidArgument, 'the role must be admin, operator or customer');
  const accountId = input.accountId ?? null;
  if (input.role === 'customer' && !accountId) throw new CercapecError(ErrorCode.invalidArgument, 'a customer user needs an account (--account)');
  if (input.role !== 'customer' && accountId) throw new CercapecError(ErrorCode.invalidArgument, 'only a customer user belongs to an account');
  if (accountId && !(await store.db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst())) {
    throw new CercapecError(ErrorCode.accountNotFound, `no account "${accountId}"`);
  }
  checkPassword(input.password);
  const passwordHash = await hashPassword(input.password, scrypt);
  const id = newId('usr', now);
  await store.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
    if (existing) throw new CercapecError(ErrorCode.invalidArgument, `a user "${username}" already exists`);
    await trx
      .insertInto('users')
      .values({
        id,
        username,
        password_hash: passwordHash,
        role: input.role,
        status: UserStatus.active,
        created_at: now,
        updated_at: now,
        last_login_at: null,
        account_id: accountId,
      })
      .execute();
    if (audit)
      await recordAudit(trx, {
        at: now,
        actor: audit.actor,
        action: 'user.create',
        target: id,
        before: null,
        after: { username, role: input.role, ...(accountId ? { account: accountId } : {}) },
      });
  });
  return (await findUser(store, username))!;
}

export async function findUser(store: Store, username: string): Promise<User | null> {
  const row = await store.db.selectFrom('users').selectAll().where('username', '=', username.trim().toLowerCase()).executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function getUser(store: Store, id: string): Promise<User | null> {
  const row = await store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : null;
}

/** Every user, or with `accountId` only that account's customers. */
export async function listUsers(store: Store, accountId?: string): Promise<User[]> {
  let query = store.db.selectFrom('users').selectAll();
  if (accountId !== undefined) query = query.where('account_id', '=', accountId);
  const rows = await query.orderBy('username').execute();
  return rows.map(toUser);
}

async function requireUser(store: Store, username: string): Promise<User> {
  const user = await findUser(store, username);
  if (!user) throw new CercapecError(ErrorCode.userNotFound, `no user "${username}"`);
  return user;
}

/** Sets a new password and ends the user's sessions and pending logins (a stolen session does not outlive it). */
export async function setPassword(
  store: Store,
  now: number,
  username: string,
  password: string,
  audit?: AuditBy,
  scrypt: ScryptParams = SCRYPT_PARAMS,
): Promise<void> {
  const user = await requireUser(store, username);
  checkPassword(password);
  const passwordHash = await hashPassword(password, scrypt);
  await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', user.id).execute();
    await trx.deleteFrom('admin_sessions').where('user_id', '=', user.id).execute();
    // A login waiting for its code was opened by the old password: it ends too.
    await trx.deleteFrom('login_challenges').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('login_failures').where('username', '=', user.username).execute();
    if (audit)
      await recordAudit(trx, { at: now, actor: audit.actor, action: 'user.passwd', target: user.id, before: null, after: { username: user.username } });
  });
}

/** Disables (ending every session at once) or enables a user. */
export async function setUserStatus(store: Store, now: number, username: string, status: User['status'], audit?: AuditBy): Promise<User> {
  const user = await requireUser(store, username);
  await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ status, updated_at: now }).where('id', '=', user.id).execute();
    if (status === UserStatus.disabled) await trx.deleteFrom('admin_sessions').where('user_id', '=', user.id).execute();
    if (audit && status !== user.status) {
      await recordAudit(trx, {
        at: now,
        actor: audit.actor,
        action: status === UserStatus.disabled ? 'user.disable' : 'user.enable',
        target: user.id,
        before: { status: user.status },
        after: { status },
      });
    }
  });
  return { ...user, status };
}

/** The usernames of the users with these ids (unknown ids are left out; none asked, none read). */
export async function usernamesOf(store: Store, ids: string[]): Promise<{ id: string; username: string }[]> {
  return ids.length ? store.db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute() : [];
}
