import type { Readable, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS, { type CellValue } from 'exceljs';
import type { RawRow } from './batch-table.ts';
import { asBatchError } from './batch-error.ts';
import {
  countInflated,
  inflateBudget,
  MAX_MODEL_PART_BYTES,
  MAX_ROW_BYTES,
  MAX_SHARED_STRING_BYTES,
  MAX_SHARED_STRINGS_BYTES,
  type InflateBudget,
  type PartLimits,
} from './inflate-budget.ts';

/** Default of config batchMaxInflatedBytes. */
export const DEFAULT_MAX_INFLATED_BYTES = 200 * 1024 * 1024;

/**
 * The first worksheet of an XLSX upload, streamed with exceljs's WorkbookReader straight from
 * the request (no workbook model in memory; exceljs parks a sheet in a temporary file only when
 * it comes before the shared strings in the zip). Later sheets are drained, not read.
 * exceljs pipes the input without watching its errors, so a failed upload (over the byte
 * limit, client gone) is raced against every step instead of leaving the reader waiting.
 */
export async function* readXlsxBatch(input: Readable, maxInflatedBytes = DEFAULT_MAX_INFLATED_BYTES): AsyncGenerator<RawRow> {
  const failed = new Promise<never>((_, reject) => input.once('error', reject));
  failed.catch(() => {});
  const reader = new Utf8WorkbookReader(
    input,
    {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'cache', // tells dates from numbers
      hyperlinks: 'ignore',
      entries: 'ignore',
    },
    inflateBudget(maxInflatedBytes),
  );
  const step = <T>(next: Promise<T>) => Promise.race([next, failed]);
  const sheets = reader[Symbol.asyncIterator]();
  try {
    for (let first = true; ; first = false) {
      const sheet = await step(sheets.next());
      if (sheet.done) return;
      const rows = sheet.value[Symbol.asyncIterator]();
      for (;;) {
        const row = await step(rows.next());
        if (row.done) break;
        if (first) yield rowCells(row.value);
      }
    }
  } catch (error) {
    throw asBatchError(error, 'xlsx');
  } finally {
    // A reader stopped early (the row limit, an error) still removes its parked sheets: the parse
    // finishes when it resumes. Not awaited: after a failed upload it may never resume.
    sheets.return(undefined).catch(() => {});
  }
}

function rowCells(row: ExcelJS.Row): RawRow {
  const cells: string[] = [];
  const numeric: number[] = [];
  row.eachCell({ includeEmpty: false }, (cell, column) => {
    const { text, isNumber } = cellText(cell.value);
    while (cells.length < column - 1) cells.push('');
    cells[column - 1] = text;
    if (isNumber) numeric.push(column - 1);
  });
  return { cells, numeric };
}

/**
 * A cell's text. Not `cell.text`: it prints dates with Date#toString and, in the streaming
 * reader, formulas as "[object Object]". Integers print in full (no exponent below 1e21).
 */
export function cellText(value: CellValue): { text: string; isNumber: boolean } {
  if (value === null || value === undefined) return { text: '', isNumber: false };
  if (typeof value === 'number') return { text: Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value), isNumber: true };
  if (typeof value === 'string') return { text: value, isNumber: false };
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE', isNumber: false };
  if (value instanceof Date) {
    const iso = value.toISOString();
    return { text: iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' '), isNumber: false };
  }
  if ('richText' in value) return { text: value.richText.map((r) => r.text).join(''), isNumber: false };
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: CellValue }).result ?? null);
  if ('error' in value) return { text: String(value.error), isNumber: false };
  if ('text' in value) return { text: String((value as { text: unknown }).text), isNumber: false };
  return { text: '', isNumber: false };
}

interface ReaderInternals {
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown>;
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  sharedStrings?: unknown[];
  workbookRels?: unknown[];
}
interface ZipEntry extends Readable {
  path: string;
}
// exceljs's own unzipper, the one its reader was written for.
const unzipper = createRequire(createRequire(import.meta.url).resolve('exceljs'))('unzipper') as { Parse(options: { forceStream: true }): Transform };

const SHEET = /^xl\/worksheets\/sheet(\d+)\.xml$/;
const MODEL_PART: PartLimits = { maxPartBytes: MAX_MODEL_PART_BYTES };
const SHARED_STRINGS: PartLimits = {
  maxPartBytes: MAX_SHARED_STRINGS_BYTES,
  element: { end: '</si>', maxBytes: MAX_SHARED_STRING_BYTES, what: 'a shared string' },
};
const SHEET_ROWS: PartLimits = { element: { end: '</row>', maxBytes: MAX_ROW_BYTES, what: 'a row' } };
const base = ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as ReaderInternals;

/**
 * exceljs 4.4's streaming reader decodes every inflated chunk of XML on its own, so a multi-byte
 * character that straddles two chunks (zlib cuts every 16 KiB; a slow upload anywhere) becomes
 * U+FFFD: "Rhêmes" read as "Rh\uFFFD\uFFFDmes" (exceljs/exceljs#2084 and #2316, open; the fixes
 * are unmerged). One StringDecoder per part keeps characters whole: the shared strings get
 * setEncoding (the workaround given in #2084), a sheet gets its chunks decoded the same way.
 * Both methods are exceljs internals: the version is pinned, and a test uploads a workbook in
 * 7-byte chunks.
 */
class Utf8WorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  constructor(
    private readonly upload: Readable,
    options: Partial<ExcelJS.stream.xlsx.WorkbookStreamReaderOptions>,
    private readonly budget: InflateBudget,
  ) {
    super(upload, options);
  }

  /**
   * exceljs's parse loop (workbook-reader.js), with every part inflated through the budget
   * (inflate-budget.ts), the parts it ignores included, and sheets that come before the shared
   * strings parked in a temporary folder that is always removed (exceljs leaves its files until
   * the process exits). A broken zip fails the part being read instead of leaving it waiting.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the override must match exceljs's own declaration
  override async *parse(): AsyncGenerator<any> {
    const base = this as unknown as ReaderInternals;
    const zip = unzipper.Parse({ forceStream: true });
    let current: Transform | null = null;
    // unzipper may fail (a truncated file) before the entry it was reading is handed out: the
    // entry would then wait forever, so a part opened after the failure fails at once.
    let failure: Error | null = null;
    zip.once('error', (error) => {
      failure = error;
      current?.destroy(error);
    });
    this.upload.pipe(zip);
    const parked: { sheetNo: string; file: string }[] = [];
    let dir: string | null = null;
    const counted = (entry: ZipEntry, limits: PartLimits) => {
      const stream = entry.pipe(countInflated(this.budget, entry.path, limits));
      current = stream;
      if (failure) stream.destroy(failure);
      return stream;
    };
    try {
      for await (const entry of zip as AsyncIterable<ZipEntry>) {
        const sheet = SHEET.exec(entry.path);
        let part: Transform | null = null;
        if (entry.path === 'xl/_rels/workbook.xml.rels') await base._parseRels((part = counted(entry, MODEL_PART)));
        else if (entry.path === 'xl/workbook.xml') await base._parseWorkbook((part = counted(entry, MODEL_PART)));
        else if (entry.path === 'xl/styles.xml') await base._parseStyles((part = counted(entry, MODEL_PART)));
        else if (entry.path === 'xl/sharedStrings.xml') yield* base._parseSharedStrings((part = counted(entry, SHARED_STRINGS)));
        else if (sheet && base.sharedStrings && base.workbookRels) yield* base._parseWorksheet((part = counted(entry, SHEET_ROWS)), sheet[1]);
        else if (sheet) {
          dir ??= await mkdtemp(join(tmpdir(), 'cercapec-xlsx-'));
          const file = join(dir, `sheet${sheet[1]}.xml`);
          await pipeline(counted(entry, SHEET_ROWS), createWriteStream(file));
          parked.push({ sheetNo: sheet[1], file });
        } else for await (const _ of (part = counted(entry, {})));
        // What a parser left unread still inflates, and the next part comes only after it.
        if (part && !part.readableEnded) {
          part.resume();
          await new Promise((resolve, reject) => part!.once('end', resolve).once('error', reject).once('close', resolve));
        }
        current = null;
      }
      for (const { sheetNo, file } of parked) yield* base._parseWorksheet(createReadStream(file), sheetNo);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown> {
    entry.setEncoding('utf8');
    return base._parseSharedStrings.call(this, entry);
  }

  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown> {
    return base._parseWorksheet.call(this, decodeUtf8(iterator), sheetNo);
  }
}

async function* decodeUtf8(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}
