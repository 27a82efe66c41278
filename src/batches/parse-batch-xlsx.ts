import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import ExcelJS, { type CellValue } from 'exceljs';
import type { RawRow } from './batch-table.ts';
import { asBatchError } from './batch-error.ts';

/**
 * The first worksheet of an XLSX upload, streamed with exceljs's WorkbookReader straight from
 * the request (no workbook model in memory; exceljs parks a sheet in a temporary file only when
 * it comes before the shared strings in the zip). Later sheets are drained, not read.
 * exceljs pipes the input without watching its errors, so a failed upload (over the byte
 * limit, client gone) is raced against every step instead of leaving the reader waiting.
 */
export async function* readXlsxBatch(input: Readable): AsyncGenerator<RawRow> {
  const failed = new Promise<never>((_, reject) => input.once('error', reject));
  failed.catch(() => {});
  const reader = new Utf8WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache', // tells dates from numbers
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const step = <T>(next: Promise<T>) => Promise.race([next, failed]);
  try {
    const sheets = reader[Symbol.asyncIterator]();
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
    throw asBatchError(error, 'unreadable XLSX workbook');
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
}
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
