import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Bench } from './lib/bench.ts';
import { writeDirectoryCsv } from './lib/datasets.ts';
import { codeAt } from './lib/codes.ts';
import { round } from './lib/stats.ts';
import { ROOT } from './lib/processes.ts';
import { openStore } from '../src/store/store.ts';
import { importDataset } from '../src/directory/import-dataset.ts';
import { systemClock } from '../src/clock.ts';
import { sqliteBaselineSeconds } from './lib/sqlite-baseline.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const IPA_ROWS = 24_000;

/** A 24,000-row IPA enti file: the real sample's rows, repeated with distinct codes. */
async function writeIpaFile(file: string): Promise<void> {
  const rows = parse(readFileSync(join(ROOT, 'demo/enti-sample-comuni.csv')), { bom: true }) as string[][];
  const [header, ...body] = rows;
  const codeColumn = header.indexOf('Codice_fiscale_ente');
  const out = createWriteStream(file);
  out.write(stringify([header]));
  for (let i = 0; i < IPA_ROWS; i++) {
    const row = [...body[i % body.length]];
    row[codeColumn] = codeAt(i, 5_000_000);
    if (!out.write(stringify([row]))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Imports into the embedded store: a 1,000,000-row CSV (goal 20 s) and a 24,000-row IPA file (goal 1 s). */
export const importsBench: Bench = {
  name: 'imports',
  description: `${ROWS.toLocaleString('en')}-row directory CSV and ${IPA_ROWS.toLocaleString('en')}-row IPA enti file into SQLite`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    const store = await openStore({ dataDir: dir });
    try {
      const csv = join(dir, 'big.csv');
      await writeDirectoryCsv(csv, ROWS);
      const ipa = join(dir, 'enti.csv');
      await writeIpaFile(ipa);
      void createReadStream;
      let t0 = performance.now();
      const big = await importDataset(store, systemClock, { file: csv, format: 'csv', name: 'big' });
      const bigSeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const enti = await importDataset(store, systemClock, { file: ipa, format: 'ipa-enti', name: 'enti' });
      const ipaSeconds = (performance.now() - t0) / 1000;
      const baseline = sqliteBaselineSeconds();
      return {
        name: 'imports',
        figures: {
          'csv rows': big.rowsRead,
          'csv imported': big.entriesImported,
          'csv s': round(bigSeconds),
          'csv rows/s': round(big.rowsRead / bigSeconds, 0),
          'ipa rows': enti.rowsRead,
          'ipa addresses': enti.entriesImported,
          'ipa s': round(ipaSeconds, 3),
          'sqlite baseline s (1M rows)': baseline,
          'csv / baseline': round(bigSeconds / baseline),
        },
        goals: [
          { name: `${ROWS.toLocaleString('en')}-row CSV import`, value: round(bigSeconds), target: 20 * (ROWS / 1_000_000), kind: 'max', unit: 's' },
          { name: '24,000-row IPA import', value: round(ipaSeconds, 3), target: 1, kind: 'max', unit: 's' },
        ],
      };
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
