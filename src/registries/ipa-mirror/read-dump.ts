import { open } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { readCsv } from '../../directory/read-csv.ts';
import { parseIpaEntiRecord, type DirectoryRow } from '../../directory/parse-rows.ts';
import { MirrorRefreshError } from './mirror-error.ts';
import { ipaNameRow, type NameRow } from '../../search/name-index.ts';

/** Columns the mirror reads; a dump without any of them is not the enti file (an error page, a changed layout). */
const REQUIRED = ['codice_ipa', 'denominazione_ente', 'codice_fiscale_ente', ...[1, 2, 3, 4, 5].flatMap((n) => [`mail${n}`, `tipo_mail${n}`])];

export interface DumpContent {
  /** Records (enti) in the file. */
  rowsRead: number;
  /** One per PEC, in file order, as the local directory's IPA importer reads them. */
  entries: DirectoryRow[];
  /** One per codice fiscale with a PEC (the first ente that has it): what name search finds. */
  names: NameRow[];
  rowsRejected: number;
}

/**
 * Reads a downloaded enti dump with the directory's own IPA parser, checking what a
 * download cut short or replaced by something else would break: the header, the CSV syntax
 * to the last byte, and that every record has all the header's columns. The whole content is
 * held (a few MB for ~24,000 enti) so that the database transaction that swaps it in is short:
 * reading 24,000 enti takes ~1.2 s, outside any transaction.
 */
export async function readDump(file: string): Promise<DumpContent> {
  const header = await readHeader(file);
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new MirrorRefreshError(
      'malformed',
      `non è il file enti di IPA: mancano le colonne ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` e altre ${missing.length - 3}` : ''}`,
    );
  const last = header[header.length - 1];
  const entries: DirectoryRow[] = [];
  const names: NameRow[] = [];
  const named = new Set<string>();
  let rowsRead = 0;
  let rowsRejected = 0;
  try {
    for await (const record of readCsv(file)) {
      rowsRead++;
      if (record.fields[last] === undefined) {
        throw new MirrorRefreshError('malformed', `riga ${record.line} incompleta (mancano colonne)`);
      }
      for (const parsed of parseIpaEntiRecord(record)) {
        if ('ok' in parsed) entries.push(parsed.ok);
        else rowsRejected++;
        if ('ok' in parsed && !named.has(parsed.ok.code)) {
          named.add(parsed.ok.code);
          const name = ipaNameRow(record, parsed.ok.code);
          if (name) names.push(name);
        }
      }
    }
  } catch (error) {
    if (error instanceof MirrorRefreshError) throw error;
    throw new MirrorRefreshError('malformed', `CSV non valido: ${(error as Error).message}`);
  }
  return { rowsRead, entries, names, rowsRejected };
}

/** The header's column names as readCsv keys them (trimmed, lower case). */
async function readHeader(file: string): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const line =
      buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .split(/\r?\n/)[0] ?? '';
    const [columns] = parse(line, { relax_quotes: true }) as string[][];
    return (columns ?? []).map((c) => c.trim().toLowerCase());
  } catch {
    return [];
  } finally {
    await handle.close();
  }
}
