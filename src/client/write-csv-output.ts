import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { writeAtomically } from './write-atomically.ts';
import { defuseCell, defuseFormula } from '../security/defuse-formula.ts';

/**
 * Writes rows as CSV in UTF-8 with a BOM (without it Excel reads UTF-8 as Windows-1252 and
 * mangles "già"), CRLF line ends as Excel writes them. Streams: no whole-file string in memory.
 */
export async function writeCsvOutput(path: string, columns: string[], rows: Iterable<(string | number)[]>, delimiter: string): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    // Input cells come back as they were read: defused, so that opening the file runs no formula.
    const source = Readable.from(
      (function* () {
        for (const row of rows) yield row.map(defuseCell);
      })(),
      { objectMode: true },
    );
    const csv = stringify({ header: true, columns: columns.map(defuseFormula), delimiter, bom: true, record_delimiter: 'windows', cast: { number: String } });
    await pipeline(source, csv, createWriteStream(tmp, { mode: 0o644 }));
  });
}
