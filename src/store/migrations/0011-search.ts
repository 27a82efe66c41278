import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * Search by name (issue #19): one row per (dataset, code) with the name as written and its
 * normalised words (`terms`, see search/normalize-name.ts), indexed for full-text prefix search:
 * SQLite FTS5 (an external-content table kept by triggers, so every writer, copy-store and
 * erase included, keeps it right), PostgreSQL a GIN index on to_tsvector('simple', terms).
 * Both index the same app-normalised words, so both find the same rows.
 * `doc` is the FTS5 rowid (an INTEGER PRIMARY KEY, stable across VACUUM), allocated by the app
 * from name_doc_counter; accounts get a price per search.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema
    .createTable('name_entries')
    // SQLite: exactly "integer primary key" makes it the rowid FTS5 points at.
    .addColumn('doc', sqlite ? 'integer' : 'bigint', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('ipa_code', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('terms', 'text', (c) => c.notNull())
    .addColumn('words', 'integer', (c) => c.notNull())
    .addColumn('municipality_code', 'text')
    .addColumn('province', 'text')
    .addColumn('postcode', 'text')
    .addColumn('address', 'text')
    .addColumn('category', 'text')
    .execute();
  await db.schema.createIndex('name_entries_dataset_code').on('name_entries').columns(['dataset_id', 'code']).unique().execute();
  await db.schema.createIndex('name_entries_code').on('name_entries').column('code').execute();
  await db.schema
    .createTable('name_doc_counter')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('next_doc', 'bigint', (c) => c.notNull())
    .execute();
  if (sqlite) {
    // prefix='1 2 3': one- to three-letter prefixes ("rezzo" is cheap anyway) answer from their own index.
    await sql`create virtual table name_entries_fts using fts5(terms, content='name_entries', content_rowid='doc', prefix='1 2 3', tokenize='unicode61')`.execute(
      db,
    );
    await sql`create trigger name_entries_ai after insert on name_entries begin insert into name_entries_fts(rowid, terms) values (new.doc, new.terms); end`.execute(
      db,
    );
    await sql`create trigger name_entries_ad after delete on name_entries begin insert into name_entries_fts(name_entries_fts, rowid, terms) values ('delete', old.doc, old.terms); end`.execute(
      db,
    );
    await sql`create trigger name_entries_au after update on name_entries begin insert into name_entries_fts(name_entries_fts, rowid, terms) values ('delete', old.doc, old.terms); insert into name_entries_fts(rowid, terms) values (new.doc, new.terms); end`.execute(
      db,
    );
  } else {
    await sql`create index name_entries_terms on name_entries using gin (to_tsvector('simple', terms))`.execute(db);
  }
  await db.schema
    .alterTable('accounts')
    .addColumn('search_price_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('search_price_cents').execute();
  await sql`drop table if exists name_entries_fts`.execute(db);
  await db.schema.dropTable('name_doc_counter').execute();
  await db.schema.dropTable('name_entries').execute();
}
