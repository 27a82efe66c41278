import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { codeAt } from './codes.ts';

/** A generic directory CSV of `rows` codes of the bench sequence, written streaming. */
export async function writeDirectoryCsv(file: string, rows: number, offset = 0): Promise<void> {
  const out = createWriteStream(file);
  out.write('codice_fiscale;pec\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${codeAt(i, offset)};p${i}@pec.example.it\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
