import type { Kysely, Transaction } from 'kysely';
import type { AccountWebhooksTable, Database } from '../store/schema.ts';
import { newWebhookSecret } from './sign.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface AccountWebhookView {
  row: AccountWebhooksTable;
  /** The whole secret, present only the one time it is shown. */
  revealed: string | null;
}

/**
 * The account's webhook row, created with a new secret at first need (the first delivery to
 * sign, or the first look at the settings). Safe against a concurrent creator: the insert
 * does nothing when the row is there, and everybody reads the one that won.
 */
export async function ensureAccountWebhook(db: Db, accountId: string, now: number): Promise<AccountWebhooksTable> {
  await db
    .insertInto('account_webhooks')
    .values({ account_id: accountId, url: null, secret: newWebhookSecret(), secret_shown_at: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
  return db.selectFrom('account_webhooks').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
}

/**
 * GET /v1/account/webhook: the settings, with the secret shown once. The update that marks it
 * shown is conditional, so two concurrent readers cannot both receive it.
 */
export async function readAccountWebhook(db: Db, accountId: string, now: number): Promise<AccountWebhookView> {
  const row = await ensureAccountWebhook(db, accountId, now);
  if (row.secret_shown_at !== null) return { row, revealed: null };
  const shown = await db
    .updateTable('account_webhooks')
    .set({ secret_shown_at: now })
    .where('account_id', '=', accountId)
    .where('secret_shown_at', 'is', null)
    .executeTakeFirst();
  return Number(shown.numUpdatedRows) === 1 ? { row: { ...row, secret_shown_at: now }, revealed: row.secret } : { row, revealed: null };
}

/**
 * PUT /v1/account/webhook: sets the default callback. A secret chosen by the customer replaces
 * the current one (and is not echoed back: they know it); without one the current secret stays,
 * shown if it never was.
 */
export async function setAccountWebhook(db: Db, accountId: string, input: { url: string; secret?: string }, now: number): Promise<AccountWebhookView> {
  await ensureAccountWebhook(db, accountId, now);
  await db
    .updateTable('account_webhooks')
    .set({ url: input.url, updated_at: now, ...(input.secret ? { secret: input.secret, secret_shown_at: now } : {}) })
    .where('account_id', '=', accountId)
    .execute();
  return readAccountWebhook(db, accountId, now);
}

/** DELETE /v1/account/webhook: no default callback any more. The secret stays: per-lookup callbacks are signed with it. */
export async function clearAccountWebhook(db: Db, accountId: string, now: number): Promise<AccountWebhooksTable> {
  await ensureAccountWebhook(db, accountId, now);
  await db.updateTable('account_webhooks').set({ url: null, updated_at: now }).where('account_id', '=', accountId).execute();
  return db.selectFrom('account_webhooks').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
}

/**
 * POST /v1/account/webhook/rotate-secret: a new secret, returned this once. Deliveries still
 * pending are signed with it from their next attempt (signatures are made per attempt).
 */
export async function rotateWebhookSecret(db: Db, accountId: string, now: number): Promise<AccountWebhookView> {
  await ensureAccountWebhook(db, accountId, now);
  const secret = newWebhookSecret();
  await db.updateTable('account_webhooks').set({ secret, secret_shown_at: now, updated_at: now }).where('account_id', '=', accountId).execute();
  const row = await db.selectFrom('account_webhooks').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
  return { row, revealed: secret };
}
