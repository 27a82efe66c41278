import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { compileOnce } from '../store/compile-once.ts';
import type { Store } from '../store/store.ts';
import type { AccountsTable, ApiKeysTable, Database } from '../store/schema.ts';
import { newId } from '../ids.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { authChangeCommitted, recordAuthChange } from './auth-changes.ts';
import { AccountStatus } from './account-status.ts';

/** Keys carry 192 random bits; the `cp_` prefix makes them recognisable to secret scanners. */
export function generateApiKey(): string {
  return `cp_${randomBytes(24).toString('base64url')}`;
}

/**
 * sha256 is enough for keys of 192 random bits (nothing to brute-force); looking a key up by its
 * hash also means no secret is ever compared byte by byte, so there is no timing side channel.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
}

export async function addApiKey(
  store: Store,
  accountId: string,
  now: number,
  options: { label?: string; key?: string; audit?: AuditBy } = {},
): Promise<CreatedKey> {
  const account = await store.db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new CercapecError(ErrorCode.accountNotFound, `no account ${accountId}`);
  const key = options.key ?? generateApiKey();
  const id = newId('key', now);
  const prefix = key.slice(0, 7);
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_keys')
      .values({ id, account_id: accountId, key_hash: hashApiKey(key), key_prefix: prefix, label: options.label ?? null, created_at: now, revoked_at: null })
      .execute();
    // The key itself is shown once and never recorded: only its id and prefix.
    const after = { account_id: accountId, prefix, label: options.label ?? null };
    if (options.audit) await recordAudit(trx, { at: now, actor: options.audit.actor, action: 'key.create', target: id, before: null, after });
  });
  return { id, key, prefix };
}

/**
 * Revokes one key of one account. A key of another account is refused
 * (`key_of_another_account`), an unknown one too (`key_not_found`), so callers acting for an
 * account need no check of their own; revoking a revoked key changes and records nothing.
 *
 * @example await revokeApiKey(store, { accountId: 'acc_…', keyId: 'key_…' }, clock.now(), audit);
 */
export async function revokeApiKey(store: Store, of: { accountId: string; keyId: string }, now: number, audit?: AuditBy): Promise<void> {
  const { accountId, keyId } = of;
  const changed = await store.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', keyId)
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      const row = await trx.selectFrom('api_keys').select('account_id').where('id', '=', keyId).executeTakeFirst();
      if (!row) throw new CercapecError(ErrorCode.keyNotFound, `no API key ${keyId}`);
      if (row.account_id !== accountId) throw new CercapecError(ErrorCode.keyOfAnotherAccount, `API key ${keyId} belongs to another account`);
      return false; // already revoked: nothing changed, nothing to record
    }
    await recordAuthChange(trx, store);
    if (audit)
      await recordAudit(trx, { at: now, actor: audit.actor, action: 'key.revoke', target: keyId, before: { revoked_at: null }, after: { revoked_at: now } });
    return true;
  });
  if (changed) authChangeCommitted(store);
}

/** The account a key belongs to, for the operator's CLI, which names a key by its id alone. */
export async function apiKeyAccountId(db: Kysely<Database>, keyId: string): Promise<string> {
  const row = await db.selectFrom('api_keys').select('account_id').where('id', '=', keyId).executeTakeFirst();
  if (!row) throw new CercapecError(ErrorCode.keyNotFound, `no API key ${keyId}`);
  return row.account_id;
}

export type Account = AccountsTable;

/** The active account a key belongs to, or null for an unknown, revoked or disabled one. */
export async function authenticateKey(store: Store, key: string): Promise<Account | null> {
  if (!key || key.length > 200) return null;
  const [row] = await accountByKeyHash(store.reader, { keyHash: hashApiKey(key), status: AccountStatus.active });
  return row ? normalizeAccount(row) : null;
}

// On the path of every request whose key is not cached: compiled once.
const accountByKeyHash = compileOnce<'keyHash' | 'status', AccountsTable>((db, param) =>
  db
    .selectFrom('api_keys')
    .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
    .selectAll('accounts')
    .where('api_keys.key_hash', '=', param('keyHash'))
    .where('api_keys.revoked_at', 'is', null)
    .where('accounts.status', '=', param('status')),
);

export function normalizeAccount(row: AccountsTable): Account {
  return {
    ...row,
    price_cents: Number(row.price_cents),
    credit_limit_cents: row.credit_limit_cents === null ? null : Number(row.credit_limit_cents),
    operator_fallback: Number(row.operator_fallback ?? 0),
    search_price_cents: Number(row.search_price_cents ?? 0),
    balance_cents: Number(row.balance_cents ?? 0),
    watch_price_cents: row.watch_price_cents == null ? null : Number(row.watch_price_cents),
    verification_price_cents: row.verification_price_cents == null ? null : Number(row.verification_price_cents),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

/**
 * The keys of one account, all of them (revoked too): `oldest` first by creation, as the back
 * office and the CLI list them, or `newest` first (ties by id), as the portal does.
 */
export async function listApiKeys(db: Kysely<Database>, accountId: string, order: 'oldest' | 'newest' = 'oldest'): Promise<ApiKeysTable[]> {
  const query = db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId);
  return order === 'oldest' ? query.orderBy('created_at').execute() : query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

/** One key of one account: another account's key id finds nothing. */
export async function findApiKey(db: Kysely<Database>, accountId: string, keyId: string): Promise<ApiKeysTable | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', keyId).where('account_id', '=', accountId).executeTakeFirst();
}
