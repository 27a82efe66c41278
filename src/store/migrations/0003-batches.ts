import type { Kysely } from 'kysely';

/**
 * Batches: many lookups from one uploaded file (CSV, XLSX, JSON). A batch keeps every input row
 * (its cells as JSON text, the normalised code or why it is invalid, the lookup it points to),
 * so results come back in input order with the customer's own columns. Portable types only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text')
    .addColumn('input_columns', 'text', (c) => c.notNull())
    .addColumn('csv_delimiter', 'text')
    .addColumn('total_rows', 'integer', (c) => c.notNull())
    .addColumn('valid_rows', 'integer', (c) => c.notNull())
    .addColumn('invalid_rows', 'integer', (c) => c.notNull())
    .addColumn('distinct_codes', 'integer', (c) => c.notNull())
    .addColumn('new_lookups', 'integer', (c) => c.notNull())
    .addColumn('charged_cents', 'bigint', (c) => c.notNull())
    .addColumn('counts', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('batches_account_created').on('batches').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('batch_rows')
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('row_index', 'integer', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('error', 'text')
    .addColumn('request_id', 'text')
    .addPrimaryKeyConstraint('batch_rows_pk', ['batch_id', 'row_index'])
    .execute();
  // Counting the distinct new codes of a batch, and linking rows to requests by code.
  await db.schema.createIndex('batch_rows_code').on('batch_rows').columns(['batch_id', 'code']).execute();

  // No foreign key: copy-store walks tables in TABLE_KEYS order, where requests come first.
  await db.schema.alterTable('requests').addColumn('batch_id', 'text').execute();
  await db.schema.createIndex('requests_batch').on('requests').column('batch_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('requests_batch').ifExists().execute();
  await db.schema.alterTable('requests').dropColumn('batch_id').execute();
  await db.schema.dropTable('batch_rows').ifExists().execute();
  await db.schema.dropTable('batches').ifExists().execute();
}
