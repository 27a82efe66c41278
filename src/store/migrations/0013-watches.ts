import type { Kysely } from 'kysely';

/**
 * Watches (issue 16): codes an account follows, and the events their changes made. An event
 * is unique per (account, observation): a re-check that runs twice (a restart, a retry, the
 * same data imported again) cannot emit it twice. Two account prices: a watched code per
 * month, and a verification (null: the lookup price).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('watches')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('billed_month', 'text')
    .addPrimaryKeyConstraint('watches_pk', ['account_id', 'code'])
    .execute();
  await db.schema.createIndex('watches_code').on('watches').columns(['code']).execute();
  await db.schema.createIndex('watches_account_created').on('watches').columns(['account_id', 'created_at', 'code']).execute();
  await db.schema
    .createTable('watch_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('before_pec', 'text')
    .addColumn('after_pec', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('observation_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('watch_events_once').on('watch_events').columns(['account_id', 'observation_id']).unique().execute();
  await db.schema.createIndex('watch_events_feed').on('watch_events').columns(['account_id', 'id']).execute();
  await db.schema.createIndex('watch_events_code').on('watch_events').columns(['code']).execute();
  await db.schema.alterTable('accounts').addColumn('watch_price_cents', 'bigint').execute();
  await db.schema.alterTable('accounts').addColumn('verification_price_cents', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('verification_price_cents').execute();
  await db.schema.alterTable('accounts').dropColumn('watch_price_cents').execute();
  await db.schema.dropTable('watch_events').execute();
  await db.schema.dropTable('watches').execute();
}
