import type { Kysely } from 'kysely';

/**
 * Registries: answers cached per source and code, what each address is (profession, validity),
 * the freshness of mirrored registries, accounts that allow the operator queue, and a callback
 * URL per batch.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('registry_cache')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('addresses', 'text', (c) => c.notNull())
    .addColumn('cached_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_cache_pk', ['source', 'code'])
    .execute();
  await db.schema.createIndex('registry_cache_expires').on('registry_cache').column('expires_at').execute();

  await db.schema
    .createTable('registry_sync')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('dataset_id', 'text')
    .addColumn('rows', 'integer')
    .addColumn('checked_at', 'bigint')
    .addColumn('refreshed_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();

  await db.schema.alterTable('request_addresses').addColumn('profession', 'text').execute();
  await db.schema.alterTable('request_addresses').addColumn('valid_from', 'bigint').execute();
  await db.schema.alterTable('request_addresses').addColumn('valid_until', 'bigint').execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('operator_fallback', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Datasets a registry mirror keeps (IPA open data) are not the customer's local directory.
  await db.schema.alterTable('datasets').addColumn('managed_by', 'text').execute();
  await db.schema.alterTable('batches').addColumn('callback_url', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('batches').dropColumn('callback_url').execute();
  await db.schema.alterTable('datasets').dropColumn('managed_by').execute();
  await db.schema.alterTable('accounts').dropColumn('operator_fallback').execute();
  await db.schema.alterTable('request_addresses').dropColumn('valid_until').execute();
  await db.schema.alterTable('request_addresses').dropColumn('valid_from').execute();
  await db.schema.alterTable('request_addresses').dropColumn('profession').execute();
  await db.schema.dropTable('registry_sync').execute();
  await db.schema.dropTable('registry_cache').execute();
}
