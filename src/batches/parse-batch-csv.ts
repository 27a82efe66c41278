import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import type { RawRow } from './batch-table.ts';
import { asBatchError } from './batch-error.ts';

/** Enough of the start to hold the header line. */
const HEAD_BYTES = 64 * 1024;

export interface CsvRows {
  delimiter: ';' | ',';
  rows: AsyncIterable<RawRow>;
}

/**
 * A CSV upload as rows, streamed: `;` or `,` picked by counting them in the first line (Italian
 * spreadsheets export with `;`), UTF-8 with or without BOM, quotes relaxed, ragged rows kept.
 * Every value stays a string, so leading zeros survive. A record over 64 KiB (an unclosed quote
 * swallowing the file) is an error rather than a buffer that grows with the upload.
 */
export async function readCsvBatch(input: Readable): Promise<CsvRows> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (!head.includes(0x0a) && head.length < HEAD_BYTES) {
    const next = await chunks.next().catch((error: unknown) => Promise.reject(asBatchError(error, 'csv')));
    if (next.done) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, next.value]);
  }
  const delimiter = detectDelimiter(head);
  async function* bytes(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: 64 * 1024,
  });
  pipeline(Readable.from(bytes()), parser, () => {});
  async function* rows(): AsyncGenerator<RawRow> {
    try {
      for await (const record of parser as AsyncIterable<string[]>) yield { cells: record };
    } catch (error) {
      throw asBatchError(error, 'csv');
    }
  }
  return { delimiter, rows: rows() };
}

function detectDelimiter(head: Buffer): ';' | ',' {
  const line = head.toString('utf8').split(/\r?\n/)[0] ?? '';
  const count = (ch: string) => line.split(ch).length - 1;
  return count(';') > count(',') ? ';' : ',';
}
