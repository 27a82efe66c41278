import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './lib/bench.ts';
import { writeDirectoryCsv } from './lib/datasets.ts';
import { codeAt } from './lib/codes.ts';
import { round } from './lib/stats.ts';
import { openStore } from '../src/store/store.ts';
import { importDataset } from '../src/directory/import-dataset.ts';
import { createAccount } from '../src/accounts/accounts.ts';
import { addWatches, MAX_WATCH_CODES } from '../src/watches/add-watches.ts';
import { recheckLocalSource } from '../src/watches/recheck-local.ts';
import { systemClock } from '../src/clock.ts';

/** BENCH_WATCH_CODES scales it down for a quick run (e.g. 100000). */
const CODES = Number(process.env.BENCH_WATCH_CODES ?? 1_000_000);

/** The same directory with every 100th address changed: 1% of the codes. */
async function writeChangedCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('codice_fiscale;pec\n');
  for (let i = 0; i < rows; i++) {
    const pec = i % 100 === 0 ? `nuova${i}@pec.example.it` : `p${i}@pec.example.it`;
    if (!out.write(`${codeAt(i)};${pec}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * One account watches CODES codes of a directory; the directory is imported again with 1% of the
 * addresses changed, and the re-check (the worker's job, run here in-process, in the job's own
 * slices) makes one pec.changed per changed code. Goal: 10,000 events in <= 60 s for 1,000,000
 * watched codes, with the process under 400 MB RSS (sampled every 100 ms while it runs).
 */
export const watchesBench: Bench = {
  name: 'watches',
  description: `re-import changing 1% of ${CODES.toLocaleString('en')} watched codes (SQLite)`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    const store = await openStore({ dataDir: dir });
    try {
      const first = join(dir, 'first.csv');
      await writeDirectoryCsv(first, CODES);
      await importDataset(store, systemClock, { file: first, format: 'csv', name: 'clienti' });
      const { account } = await createAccount(store, systemClock.now(), {
        name: 'bench',
        billingMode: 'postpaid',
        priceCents: 0,
        initialCreditCents: 0,
        creditLimitCents: null,
      });
      let t0 = performance.now();
      for (let from = 0; from < CODES; from += MAX_WATCH_CODES) {
        const codes = Array.from({ length: Math.min(MAX_WATCH_CODES, CODES - from) }, (_, i) => codeAt(from + i));
        await addWatches(store, account.id, codes, { reference: null, now: systemClock.now() });
      }
      const watchSeconds = (performance.now() - t0) / 1000;
      await store.db.deleteFrom('jobs').execute();
      const second = join(dir, 'second.csv');
      await writeChangedCsv(second, CODES);

      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
      t0 = performance.now();
      await importDataset(store, systemClock, { file: second, format: 'csv', name: 'clienti' });
      const importSeconds = (performance.now() - t0) / 1000;
      let after: string | null = null;
      let changes = 0;
      for (;;) {
        const slice = await recheckLocalSource(store, 'directory', { after, chunk: 2000, limit: 50_000, now: systemClock.now() });
        changes += slice.changes;
        after = slice.last;
        if (slice.done) break;
      }
      const totalSeconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      const events = await store.db
        .selectFrom('watch_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const rssMb = round(peak / 2 ** 20, 0);
      return {
        name: 'watches',
        figures: {
          'watched codes': CODES,
          'watches added (s)': round(watchSeconds, 1),
          're-import (s)': round(importSeconds, 1),
          'import + re-check (s)': round(totalSeconds, 1),
          changes,
          events: Number(events.n),
          'peak RSS (MB)': rssMb,
        },
        goals: [
          { name: 'events', value: Number(events.n), target: CODES / 100, kind: 'min', unit: 'events' },
          { name: 'import + re-check', value: round(totalSeconds, 1), target: 60, kind: 'max', unit: 's' },
          { name: 'peak RSS', value: rssMb, target: 400, kind: 'max', unit: 'MB' },
        ],
        notes: CODES === 1_000_000 ? [] : [`scaled down with BENCH_WATCH_CODES=${CODES}: the goals are for 1,000,000`],
      };
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
