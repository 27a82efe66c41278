import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse';

export interface CsvRecord {
  /** 1-based line of the record in the file (the header is line 1). */
  line: number;
  fields: Record<string, string>;
}

/** Picks `;` or `,` by counting them in the header line (Italian spreadsheets export with `;`). */
export async function detectDelimiter(file: string): Promise<';' | ','> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0] ?? '';
    const count = (ch: string) => head.split(ch).length - 1;
    return count(';') > count(',') ? ';' : ',';
  } finally {
    await handle.close();
  }
}

/**
 * Streams a CSV file as records keyed by header names (trimmed, lower-cased). UTF-8 with or
 * without BOM. Every value stays a string, so leading zeros of 11-digit codes survive.
 */
export async function* readCsv(file: string): AsyncGenerator<CsvRecord> {
  const delimiter = await detectDelimiter(file);
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      delimiter,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
      info: true,
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, fields: record };
  }
}
