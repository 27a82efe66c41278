import { sql, SqliteAdapter, type Kysely } from 'kysely';

/** Names read per backfill statement. */
const PAGE = 5000;

/**
 * Bounded name search (issue #19): the words of every name in a B-tree, `name_words`, one row
 * per distinct word of a name, keyed (word, words, doc). A query word's prefix range is read in
 * that key order with a LIMIT, so a query costs at most a fixed number of index rows on both
 * dialects (search/search-names.ts), where the full-text indexes of 0011 had to hand over and
 * score every match: 932 ms p99 over 1,000,000 names for a prefix like "ro". The FTS5 table and
 * the GIN index go: nothing reads them any more and every import paid for them.
 * Rows go with their name (ON DELETE CASCADE), so every writer that deletes names (a refresh,
 * a new import, erase) keeps the words right without knowing about them.
 *
 * Also `datasets.account_id`: a dataset imported for one account (`import --account`) is
 * searched by that account only; null keeps the installation-wide datasets every account sees.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  if (sqlite) {
    await sql`create table name_words (word text not null, words integer not null, doc integer not null references name_entries (doc) on delete cascade, primary key (word, words, doc)) without rowid`.execute(
      db,
    );
  } else {
    // Byte order ("C"), the order SQLite compares text in: the same key order, the same answers.
    await sql`create table name_words (word text collate "C" not null, words integer not null, doc bigint not null references name_entries (doc) on delete cascade, primary key (word, words, doc))`.execute(
      db,
    );
  }
  await db.schema.createIndex('name_words_doc').on('name_words').column('doc').execute();
  let after = -1;
  for (;;) {
    const names: { doc: number | string; terms: string; words: number }[] = await db
      .selectFrom('name_entries')
      .select(['doc', 'terms', 'words'])
      .where('doc', '>', after)
      .orderBy('doc')
      .limit(PAGE)
      .execute();
    if (names.length === 0) break;
    const rows = names.flatMap((n) => [...new Set(n.terms.split(' '))].filter((w) => w !== '').map((word) => ({ word, words: n.words, doc: Number(n.doc) })));
    for (let i = 0; i < rows.length; i += 1000)
      await db
        .insertInto('name_words')
        .values(rows.slice(i, i + 1000))
        .execute();
    after = Number(names[names.length - 1].doc);
  }
  if (sqlite) {
    for (const t of ['name_entries_ai', 'name_entries_ad', 'name_entries_au']) await sql`drop trigger if exists ${sql.id(t)}`.execute(db);
    await sql`drop table if exists name_entries_fts`.execute(db);
  } else {
    await sql`drop index if exists name_entries_terms`.execute(db);
  }
  await db.schema.alterTable('datasets').addColumn('account_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema.alterTable('datasets').dropColumn('account_id').execute();
  await db.schema.dropTable('name_words').execute();
  // The full-text indexes of 0011, rebuilt from name_entries.
  if (sqlite) {
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
    await sql`insert into name_entries_fts(name_entries_fts) values ('rebuild')`.execute(db);
  } else {
    await sql`create index name_entries_terms on name_entries using gin (to_tsvector('simple', terms))`.execute(db);
  }
}
