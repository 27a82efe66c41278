import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { readCsv, type CsvRecord } from './read-csv.ts';
import { datasetChanged } from './dataset-changed.ts';
import { DIRECTORY_SOURCE } from './local-sources.ts';
import { parseGenericRecord, parseIpaEntiRecord, type DirectoryRow, type RejectedRow } from './parse-rows.ts';
import { deleteNames, insertNames, ipaNameRow, type NameRow } from '../search/name-index.ts';

export type DatasetFormat = 'csv' | 'ipa-enti';

export interface ImportOptions {
  file: string;
  format: DatasetFormat;
  /** Dataset name; importing the same name again replaces it. Defaults to the file name. */
  name?: string;
  /**
   * The column holding each code's name (read like the other headers: trimmed, lower case):
   * the dataset's names become searchable (search/search-names.ts). The first non-empty name
   * of a code is kept. An IPA enti file also gives place and category.
   */
  nameColumn?: string;
  /**
   * The account the dataset is for: only it finds the dataset's names in a search (API,
   * portal). Absent: the installation's, searched by every account. Code lookups of the local
   * directory read every dataset either way.
   */
  accountId?: string;
}

export interface ImportReport {
  datasetId: string;
  name: string;
  rowsRead: number;
  entriesImported: number;
  rowsRejected: number;
  /** The first rejections with their reasons (all are counted in rowsRejected). */
  rejected: RejectedRow[];
  replaced: boolean;
  /** Codes whose name was indexed for search (0 without nameColumn). */
  namesIndexed: number;
}

const BATCH = 500;
const MAX_REPORTED = 1000;

/**
 * Imports a dataset into the local directory and replaces the one of the same name atomically.
 * Entries are written under the new dataset id first, in short transactions that never hold
 * the write lock for long; they stay invisible (lookups join datasets) until one small
 * transaction swaps the dataset rows. A failed import leaves the old dataset untouched.
 */
export async function importDataset(store: Store, clock: Clock, o: ImportOptions): Promise<ImportReport> {
  await stat(o.file).catch(() => {
    throw new CercapecError(ErrorCode.invalidArgument, `cannot read ${o.file}`);
  });
  const name = o.name ?? basename(o.file);
  const datasetId = newId('ds', clock.now());
  const parse = o.format === 'ipa-enti' ? parseIpaEntiRecord : parseGenericRecord;
  await removeOrphanEntries(store);

  let rowsRead = 0;
  let imported = 0;
  let rejectedCount = 0;
  const rejected: RejectedRow[] = [];
  const positions = new Map<string, number>();
  let batch: DirectoryRow[] = [];
  const nameColumn = o.nameColumn?.trim().toLowerCase();
  const named = new Set<string>();
  let names: NameRow[] = [];
  let namesIndexed = 0;
  const flush = async () => {
    if (names.length > 0) {
      const written = names;
      names = [];
      await insertNames(store.db, datasetId, written);
      namesIndexed += written.length;
    }
    if (batch.length === 0) return;
    const values = batch.map((row) => {
      const position = positions.get(row.code) ?? 0;
      positions.set(row.code, position + 1);
      return { dataset_id: datasetId, code: row.code, position, pec: row.pec, kind: row.kind, label: row.label };
    });
    batch = [];
    await store.db.insertInto('directory_entries').values(values).execute();
  };

  try {
    for await (const record of readCsv(o.file)) {
      rowsRead++;
      if (nameColumn !== undefined && rowsRead === 1 && !(nameColumn in record.fields)) {
        throw new CercapecError(ErrorCode.invalidArgument, `the file has no column ${o.nameColumn} (--name-column)`);
      }
      for (const parsed of parse(record)) {
        if ('ok' in parsed) {
          batch.push(parsed.ok);
          imported++;
          if (nameColumn !== undefined && !named.has(parsed.ok.code)) {
            const name = nameOf(record, parsed.ok.code, nameColumn, o.format);
            if (name) {
              named.add(parsed.ok.code);
              names.push(name);
            }
          }
        } else {
          rejectedCount++;
          if (rejected.length < MAX_REPORTED) rejected.push(parsed.rejected);
        }
      }
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (error) {
    await store.db.deleteFrom('directory_entries').where('dataset_id', '=', datasetId).execute();
    await deleteNames(store.db, [datasetId]);
    if (error instanceof CercapecError) throw error;
    throw new CercapecError(ErrorCode.datasetInvalid, `cannot import ${basename(o.file)}: ${(error as Error).message}`);
  }

  const previous = await store.db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('datasets').select('id').where('name', '=', name).executeTakeFirst();
    if (old) await trx.deleteFrom('datasets').where('id', '=', old.id).execute();
    await trx
      .insertInto('datasets')
      .values({
        id: datasetId,
        name,
        format: o.format,
        source_file: basename(o.file),
        rows_read: rowsRead,
        rows_imported: imported,
        rows_rejected: rejectedCount,
        imported_at: clock.now(),
        account_id: o.accountId ?? null,
      })
      .execute();
    // Watched codes are compared with the new data by a worker (watches/recheck-job.ts).
    await datasetChanged(trx, DIRECTORY_SOURCE, clock.now());
    return old?.id ?? null;
  });
  if (previous) {
    await store.db.deleteFrom('directory_entries').where('dataset_id', '=', previous).execute();
    await deleteNames(store.db, [previous]);
  }
  return { datasetId, name, rowsRead, entriesImported: imported, rowsRejected: rejectedCount, rejected, replaced: previous !== null, namesIndexed };
}

function nameOf(record: CsvRecord, code: string, column: string, format: DatasetFormat): NameRow | null {
  const name = (record.fields[column] ?? '').trim();
  if (!name) return null;
  if (format === 'ipa-enti') {
    const row = ipaNameRow(record, code);
    return row ? { ...row, name } : { code, name };
  }
  return { code, name };
}

/** Entries left behind by an import that crashed before its swap. */
async function removeOrphanEntries(store: Store): Promise<void> {
  await store.db
    .deleteFrom('directory_entries')
    .where('dataset_id', 'not in', (eb) => eb.selectFrom('datasets').select('id'))
    .execute();
  await store.db
    .deleteFrom('name_entries')
    .where('dataset_id', 'not in', (eb) => eb.selectFrom('datasets').select('id'))
    .execute();
}

export async function listDatasets(store: Store) {
  return store.db.selectFrom('datasets').selectAll().orderBy('imported_at', 'desc').execute();
}
