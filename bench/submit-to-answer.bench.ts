import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './lib/bench.ts';
import { freePort, prepareDataDir, SERVER_ENV, startHttpProcess } from './lib/processes.ts';
import { writeDirectoryCsv } from './lib/datasets.ts';
import { codeAt } from './lib/codes.ts';
import { percentile, round } from './lib/stats.ts';

const TOTAL = Number(process.env.BENCH_SUBMIT_TOTAL ?? 10_000);
const CLIENTS = 16;

/**
 * Time from submit to answer when the local directory holds the code: 16 clients, each submitting
 * (POST /v1/lookups) and long-polling (GET ?wait=) its lookup, over 10,000 requests.
 */
export const submitToAnswerBench: Bench = {
  name: 'submit-to-answer',
  description: 'p50/p99 from submit to answer, 16 clients, directory hits, embedded store',
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    try {
      const csv = join(dataDir, 'codes.csv');
      await writeDirectoryCsv(csv, TOTAL);
      const key = await prepareDataDir(dataDir, [['import', csv, '--format', 'csv', '--name', 'bench']]);
      const port = await freePort();
      const server = await startHttpProcess(['bin/cercapec.js', 'serve', '--port', String(port), '--data', dataDir], port, SERVER_ENV);
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const latencies: number[] = [];
      let next = 0;
      let notFound = 0;
      const started = performance.now();
      try {
        await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            while (next < TOTAL) {
              const code = codeAt(next++);
              const t0 = performance.now();
              const created = await fetch(`${server.url}/v1/lookups`, { method: 'POST', headers, body: JSON.stringify({ code }) });
              let lookup = (await created.json()) as { id: string; status: string };
              while (lookup.status === 'queued' || lookup.status === 'running') {
                const r = await fetch(`${server.url}/v1/lookups/${lookup.id}?wait=10`, { headers: { authorization: headers.authorization } });
                lookup = (await r.json()) as { id: string; status: string };
              }
              latencies.push(performance.now() - t0);
              if (lookup.status !== 'found') notFound++;
            }
          }),
        );
      } finally {
        await server.stop();
      }
      const seconds = (performance.now() - started) / 1000;
      const p99 = percentile(latencies, 99);
      return {
        name: 'submit-to-answer',
        figures: {
          requests: latencies.length,
          'not found (should be 0)': notFound,
          'p50 ms': round(percentile(latencies, 50)),
          'p99 ms': round(p99),
          'lookups/s': round(latencies.length / seconds, 0),
        },
        goals: [{ name: 'p99 submit to answer', value: round(p99), target: 10, kind: 'max', unit: 'ms' }],
      };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
