import type { Kysely } from 'kysely';

/**
 * Idempotency-Key on batch uploads: a key names the batch it created, with the hash of the upload
 * it came with (bytes, format, column, callback). Written in the transaction that makes the batch
 * `processing`, so a key always names a batch that was answered 202.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('batch_idempotency_keys')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('batch_idempotency_keys_pk', ['account_id', 'key'])
    .execute();
  await db.schema.createIndex('batch_idempotency_keys_batch').on('batch_idempotency_keys').column('batch_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('batch_idempotency_keys').execute();
}
