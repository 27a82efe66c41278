import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './lib/bench.ts';
import { freePort, prepareDataDir, SERVER_ENV, startHttpProcess } from './lib/processes.ts';
import { writeDirectoryCsv } from './lib/datasets.ts';
import { codeAt } from './lib/codes.ts';
import { percentile, round } from './lib/stats.ts';
import { keepAliveClient } from './lib/keep-alive-client.ts';

const TOTAL = Number(process.env.BENCH_SUBMIT_TOTAL ?? 10_000);
const CLIENTS = 16;

/** CLIENTS clients sharing TOTAL iterations of `once(i)`: the latency of each (ms), and the wall time (s). */
async function drive(total: number, once: (i: number) => Promise<boolean>): Promise<{ latencies: number[]; seconds: number; misses: number }> {
  const latencies: number[] = [];
  let next = 0;
  let misses = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        if (!(await once(i))) misses++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000, misses };
}

/**
 * The floor of the figure, measured in the same run: two round trips (a POST with the same body,
 * then a GET) to raw node:http answering a fixed line, by the same 16 clients through the same keepAliveClient. The submit is
 * answered in one round trip when the directory knows the code, so twice a raw one is generous.
 */
async function rawTwoRoundTrips(total: number): Promise<number[]> {
  const port = await freePort();
  const raw = await startHttpProcess(['--import', 'tsx', 'bench/lib/raw-server.ts', String(port)], port);
  try {
    const client = keepAliveClient(raw.url, CLIENTS);
    const { latencies } = await drive(total, async (i) => {
      await client.call('POST', '/v1/lookups', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: codeAt(i) }) });
      await client.call('GET', '/v1/lookups/x?wait=10');
      return true;
    });
    client.close();
    return latencies;
  } finally {
    await raw.stop();
  }
}

/**
 * Time from submit to answer when the local directory holds the code: 16 clients, each submitting
 * (POST /v1/lookups) and long-polling (GET ?wait=) its lookup, over 10,000 requests; against the
 * p99 of two raw node:http round trips by the same clients (before and after, the mean).
 */
export const submitToAnswerBench: Bench = {
  name: 'submit-to-answer',
  description: 'p50/p99 from submit to answer, 16 clients, directory hits, embedded store, vs two raw round trips',
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    try {
      const csv = join(dataDir, 'codes.csv');
      await writeDirectoryCsv(csv, TOTAL);
      const key = await prepareDataDir(dataDir, [['import', csv, '--format', 'csv', '--name', 'bench']]);
      const rawBefore = percentile(await rawTwoRoundTrips(TOTAL), 99);
      const port = await freePort();
      const server = await startHttpProcess(['bin/cercapec.js', 'serve', '--port', String(port), '--data', dataDir], port, SERVER_ENV);
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const client = keepAliveClient(server.url, CLIENTS);
      let run: Awaited<ReturnType<typeof drive>>;
      try {
        run = await drive(TOTAL, async (i) => {
          const created = await client.call('POST', '/v1/lookups', { headers, body: JSON.stringify({ code: codeAt(i) }) });
          let lookup = JSON.parse(created.text) as { id: string; status: string };
          while (lookup.status === 'queued' || lookup.status === 'running') {
            const polled = await client.call('GET', `/v1/lookups/${lookup.id}?wait=10`, { headers: { authorization: headers.authorization } });
            lookup = JSON.parse(polled.text) as { id: string; status: string };
          }
          return lookup.status === 'found';
        });
      } finally {
        client.close();
        await server.stop();
      }
      const rawAfter = percentile(await rawTwoRoundTrips(TOTAL), 99);
      const rawP99 = (rawBefore + rawAfter) / 2;
      const p99 = percentile(run.latencies, 99);
      return {
        name: 'submit-to-answer',
        figures: {
          requests: run.latencies.length,
          'not found (should be 0)': run.misses,
          'p50 ms': round(percentile(run.latencies, 50)),
          'p99 ms': round(p99),
          'lookups/s': round(run.latencies.length / run.seconds, 0),
          'raw two round trips p99 ms (before, after)': `${round(rawBefore)}, ${round(rawAfter)}`,
        },
        goals: [
          { name: 'p99 submit to answer', value: round(p99), target: 10, kind: 'max', unit: 'ms' },
          { name: 'p99 submit to answer / p99 of two raw round trips', value: round(p99 / rawP99), target: 3, kind: 'max', unit: 'ratio' },
        ],
      };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
