import { sql, type Kysely } from 'kysely';

/**
 * Fewer index writes per batch row (issue 14, item 6). A row's lookup is found by
 * batch_rows(request_id) only once it has one, so the index holds linked rows alone: a row is
 * written unlinked while the upload is read and indexed once, when linked, rather than indexed
 * under null and moved. batch_rows(batch_id, code) served one query per upload, the count of new
 * distinct codes, which reads the batch's rows by its key instead (a sort in memory, once), so it
 * goes: each row of a million-code upload wrote three index entries, now one, its key.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('batch_rows_request').execute();
  await db.schema.createIndex('batch_rows_request').on('batch_rows').column('request_id').where(sql.ref('request_id'), 'is not', null).execute();
  await db.schema.dropIndex('batch_rows_code').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('batch_rows_code').on('batch_rows').columns(['batch_id', 'code']).execute();
  await db.schema.dropIndex('batch_rows_request').execute();
  await db.schema.createIndex('batch_rows_request').on('batch_rows').column('request_id').execute();
}
