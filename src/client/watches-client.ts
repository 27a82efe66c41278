import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import type { ApiClient } from '../sdk/cercapec-api.ts';
import { readInput } from './read-input.ts';
import { codeAt, findCodeColumn } from './find-code-column.ts';
import { writeAtomically } from './write-atomically.ts';

/** Codes per POST /v1/watches: the server's limit. */
const PER_CALL = 10_000;

type WatchApi = Pick<ApiClient, 'addWatches' | 'listWatchEvents'>;

export interface AddReport {
  added: number;
  alreadyWatched: number;
  rejected: { row: number; input: string; message: string }[];
}

/**
 * `cercapec client watches add <file>`: every code of a .csv/.xlsx file (the column found as for
 * batches), sent 10,000 a call. Rows with invalid codes are reported by row number.
 */
export async function addWatchesFromFile(api: WatchApi, file: string, o: { column?: string; reference?: string } = {}): Promise<AddReport> {
  const table = await readInput(file);
  const column = findCodeColumn(table, file, o.column);
  const cells = table.rows.map((_, row) => codeAt(table, row, column).trim());
  const rows = cells.map((code, row) => ({ code, row })).filter((c) => c.code !== '');
  const report: AddReport = { added: 0, alreadyWatched: 0, rejected: [] };
  for (let i = 0; i < rows.length; i += PER_CALL) {
    const slice = rows.slice(i, i + PER_CALL);
    const answer = await api
      .addWatches(
        slice.map((r) => r.code),
        { reference: o.reference },
      )
      .catch((error: unknown) => {
        // Every code of the slice invalid: a 422 problem; report them row by row instead.
        if ((error as { status?: number }).status === 422)
          return {
            added: 0,
            alreadyWatched: 0,
            rejected: slice.map((r) => ({ input: r.code, reason: 'invalid', message: 'codice non valido' })),
            chargedCents: 0,
          };
        throw error;
      });
    report.added += answer.added;
    report.alreadyWatched += answer.alreadyWatched;
    // The server answers rejected codes in input order: match them to rows in that order.
    let from = 0;
    for (const r of answer.rejected) {
      const at = slice.findIndex((s, k) => k >= from && s.code.slice(0, 40) === r.input);
      if (at >= 0) from = at + 1;
      report.rejected.push({ row: at >= 0 ? slice[at].row + 2 : 0, input: r.input, message: r.message });
    }
  }
  return report;
}

const COLUMNS = ['id', 'type', 'code', 'before', 'after', 'source', 'at'] as const;

/**
 * `cercapec client watches events -o events.csv`: appends the events after the cursor kept in
 * `<out>.cursor` (the last nextCursor seen), page by page, and moves the cursor after each
 * page is written: a run that stops half-way resumes after the last page it wrote. Returns the
 * events written.
 */
export async function fetchWatchEvents(api: WatchApi, out: string): Promise<number> {
  const cursorFile = `${out}.cursor`;
  let cursor = (await readFile(cursorFile, 'utf8').catch(() => '')).trim() || undefined;
  const exists = await stat(out).then(
    () => true,
    () => false,
  );
  if (!exists) await writeFile(out, stringify([COLUMNS as unknown as string[]]));
  let written = 0;
  for (;;) {
    const page = await api.listWatchEvents({ cursor, limit: 1000 });
    if (page.items.length > 0) {
      await appendFile(out, stringify(page.items.map((e) => COLUMNS.map((c) => e[c] ?? ''))));
      written += page.items.length;
    }
    if (page.nextCursor && page.nextCursor !== cursor) {
      cursor = page.nextCursor;
      await writeAtomically(cursorFile, (tmp) => writeFile(tmp, `${cursor}\n`));
    }
    if (page.items.length === 0) return written;
  }
}
