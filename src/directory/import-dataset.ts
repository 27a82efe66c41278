import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { readCsv } from './read-csv.ts';
import { enqueueLocalRecheck } from '../watches/recheck-job.ts';
import { DIRECTORY_SOURCE } from '../history/local-sources.ts';
import { parseGenericRecord, parseIpaEntiRecord, type DirectoryRow, type RejectedRow } from './parse-rows.ts';

export type DatasetFormat = 'csv' | 'ipa-enti';

export interface ImportOptions {
  file: string;
  format: DatasetFormat;
  /** Dataset name; importing the same name again replaces it. Defaults to the file name. */
  name?: string;
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
  const flush = async () => {
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
      for (const parsed of parse(record)) {
        if ('ok' in parsed) {
          batch.push(parsed.ok);
          imported++;
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
      })
      .execute();
    // Watched codes are compared with the new data by a worker (watches/recheck-job.ts).
    await enqueueLocalRecheck(trx, DIRECTORY_SOURCE, clock.now());
    return old?.id ?? null;
  });
  if (previous) await store.db.deleteFrom('directory_entries').where('dataset_id', '=', previous).execute();
  return { datasetId, name, rowsRead, entriesImported: imported, rowsRejected: rejectedCount, rejected, replaced: previous !== null };
}

/** Entries left behind by an import that crashed before its swap. */
async function removeOrphanEntries(store: Store): Promise<void> {
  await store.db
    .deleteFrom('directory_entries')
    .where('dataset_id', 'not in', (eb) => eb.selectFrom('datasets').select('id'))
    .execute();
}

export async function listDatasets(store: Store) {
  return store.db.selectFrom('datasets').selectAll().orderBy('imported_at', 'desc').execute();
}
