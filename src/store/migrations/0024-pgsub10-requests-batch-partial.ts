import { sql, type Kysely } from 'kysely';

/**
 * One index entry fewer per submission (issue 14). requests(batch_id, status) is read only for
 * a given batch (`batch_id = ?`: a batch's pending lookups when it settles, its lookups when it
 * rolls back), so it holds batch lookups alone: a lookup submitted by the text protocol or the
 * JSON API (batch_id null) no longer writes an entry under null. Both dialects use a partial
 * index for `batch_id = ?`, which implies `batch_id is not null`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('requests_batch_status').execute();
  await db.schema.createIndex('requests_batch_status').on('requests').columns(['batch_id', 'status']).where(sql.ref('batch_id'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('requests_batch_status').execute();
  await db.schema.createIndex('requests_batch_status').on('requests').columns(['batch_id', 'status']).execute();
}
