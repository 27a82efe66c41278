import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../store/schema.ts';
import { MAX_NAME_LENGTH, nameWords } from './normalize-name.ts';
import { provinceOfMunicipality } from './istat-provinces.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A name to index for a code of a dataset. */
export interface NameRow {
  code: string;
  name: string;
  /** Another name the body goes by (IPA Acronimo: "ASL ROMA 1"): searched, not shown. */
  alias?: string | null;
  ipaCode?: string | null;
  municipalityCode?: string | null;
  province?: string | null;
  postcode?: string | null;
  address?: string | null;
  category?: string | null;
}

/** Rows per INSERT: 500 x 12 parameters stays far below SQLite's and PostgreSQL's limits. */
const BATCH = 500;
/** name_words rows per INSERT (3 parameters each). */
const WORD_BATCH = 2000;

/**
 * Writes names of a dataset (the caller keeps one row per code) with their words (name_words).
 * Their `doc` numbers come from name_doc_counter, moved by one UPDATE per batch: atomic on
 * PostgreSQL under concurrent imports, and SQLite writes are serial anyway.
 */
export async function insertNames(db: Db, datasetId: string, rows: readonly NameRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    const slice = rows.slice(i, i + BATCH);
    const first = await allocateDocs(db, slice.length);
    const values = slice.map((r, j) => {
      const words = nameWords(r.name);
      // The alias's new words only ("Comune di Riolunato" is often its own acronym).
      const extra = nameWords(r.alias ?? '').filter((w) => !words.includes(w));
      const terms = [...words, ...new Set(extra)].join(' ');
      return {
        doc: first + j,
        dataset_id: datasetId,
        code: r.code,
        ipa_code: r.ipaCode ?? null,
        name: r.name.slice(0, MAX_NAME_LENGTH),
        terms,
        // The shown name's length: shorter names rank first among equal matches.
        words: words.length,
        municipality_code: r.municipalityCode ?? null,
        province: r.province ?? null,
        postcode: r.postcode ?? null,
        address: r.address ?? null,
        category: r.category ?? null,
      };
    });
    await db.insertInto('name_entries').values(values).execute();
    // One row per distinct word: a query word's candidates (search/search-names.ts).
    const words = values.flatMap((v) => [...new Set(v.terms.split(' '))].filter((w) => w !== '').map((word) => ({ word, words: v.words, doc: v.doc })));
    for (let k = 0; k < words.length; k += WORD_BATCH)
      await db
        .insertInto('name_words')
        .values(words.slice(k, k + WORD_BATCH))
        .execute();
  }
}

async function allocateDocs(db: Db, count: number): Promise<number> {
  // Created on first use, not by the migration: a fresh store stays empty for copy-store.
  await db
    .insertInto('name_doc_counter')
    .values({ id: 1, next_doc: 1 })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const row = await db
    .updateTable('name_doc_counter')
    .set({ next_doc: sql`next_doc + ${count}` })
    .where('id', '=', 1)
    .returning('next_doc')
    .executeTakeFirstOrThrow();
  return Number(row.next_doc) - count;
}

export async function deleteNames(db: Db, datasetIds: readonly string[]): Promise<void> {
  if (datasetIds.length === 0) return;
  await db.deleteFrom('name_entries').where('dataset_id', 'in', datasetIds).execute();
}

/**
 * The name of an IPA enti record with where it is and its category, or null without a name.
 * The enti file has no municipality name nor province: the province comes from the ISTAT code.
 */
export function ipaNameRow(record: { fields: Record<string, string> }, code: string): NameRow | null {
  const f = record.fields;
  const name = (f.denominazione_ente ?? '').trim();
  if (!name) return null;
  const municipalityCode = blankToNull(f.codice_comune_istat);
  return {
    code,
    name,
    alias: blankToNull(f.acronimo),
    ipaCode: blankToNull(f.codice_ipa),
    municipalityCode,
    province: provinceOfMunicipality(municipalityCode),
    postcode: blankToNull(f.cap),
    address: blankToNull(f.indirizzo),
    category: blankToNull(f.codice_categoria)?.toUpperCase() ?? null,
  };
}

function blankToNull(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return v === '' ? null : v;
}
