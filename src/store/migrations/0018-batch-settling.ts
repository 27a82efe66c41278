import type { Kysely } from 'kysely';

/**
 * A batch completes when its last row settles (batches/settle-batches.ts), not when someone reads
 * it: after each answer, the batches whose rows hold the answered request are found by
 * batch_rows(request_id), and a batch with a lookup of its own still pending is passed over by
 * one probe of requests(batch_id, status), which replaces the index on batch_id alone.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('batch_rows_request').on('batch_rows').column('request_id').execute();
  await db.schema.createIndex('requests_batch_status').on('requests').columns(['batch_id', 'status']).execute();
  await db.schema.dropIndex('requests_batch').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('requests_batch').on('requests').column('batch_id').execute();
  await db.schema.dropIndex('requests_batch_status').execute();
  await db.schema.dropIndex('batch_rows_request').execute();
}
