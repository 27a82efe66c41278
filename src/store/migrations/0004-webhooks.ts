import type { Kysely } from 'kysely';

/**
 * Webhooks: the account's default callback and signing secret, one row per delivery (a body
 * frozen when the lookup was answered, to one URL) and one row per attempt to deliver it.
 * No foreign key to requests: retention purges requests and their deliveries separately.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_webhooks')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('url', 'text')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('secret_shown_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_deliveries_account').on('webhook_deliveries').columns(['account_id', 'created_at']).execute();
  // One delivery of an event to a URL per lookup (per batch), whatever retries the transaction
  // that enqueued it had. NULLs are distinct, so each index leaves the other kind alone.
  await db.schema.createIndex('webhook_deliveries_request').on('webhook_deliveries').columns(['request_id', 'event', 'url']).unique().execute();
  await db.schema.createIndex('webhook_deliveries_batch').on('webhook_deliveries').columns(['batch_id', 'event', 'url']).unique().execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').columns(['delivery_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_attempts').ifExists().execute();
  await db.schema.dropTable('webhook_deliveries').ifExists().execute();
  await db.schema.dropTable('account_webhooks').ifExists().execute();
}
