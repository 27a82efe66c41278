import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './lib/bench.ts';
import { freePort, prepareDataDir, runJsonProcess, SERVER_ENV, startHttpProcess } from './lib/processes.ts';
import { round } from './lib/stats.ts';

interface Load { rps: number; p99ms: number; non2xx: number; errors: number; total: number }

const CONNECTIONS = 64;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);

async function load(config: Record<string, unknown>): Promise<Load> {
  return runJsonProcess<Load>(['--import', 'tsx', 'bench/lib/load.ts', JSON.stringify({ connections: CONNECTIONS, durationS: DURATION_S, ...config })]);
}

/**
 * Text protocol throughput on one process, load from another (autocannon, 64 connections),
 * next to raw node:http answering a fixed line in the same run.
 */
export const textProtocolBench: Bench = {
  name: 'text-protocol',
  description: 'poll and submit throughput vs raw node:http (64 connections)',
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    try {
      const key = await prepareDataDir(dataDir);
      const rawPort = await freePort();
      const raw = await startHttpProcess(['--import', 'tsx', 'bench/lib/raw-server.ts', String(rawPort)], rawPort);
      const port = await freePort();
      const server = await startHttpProcess(['bin/cercapec.js', 'serve', '--port', String(port), '--data', dataDir], port, SERVER_ENV);
      try {
        const submitted = await fetch(`${server.url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: '00743110157' }) });
        const token = (await submitted.text()).slice(3);
        const pollPath = `/index_ws.php?key=${encodeURIComponent(key)}&token=${token}`;
        const rawRun = await load({ url: raw.url, method: 'GET', path: '/index_ws.php' });
        const poll = await load({ url: server.url, method: 'GET', path: pollPath });
        const submit = await load({ url: server.url, method: 'POST', path: '/index_ws.php', key, submit: true });
        const rawAgain = await load({ url: raw.url, method: 'GET', path: '/index_ws.php' });
        // The baseline twice, before and after: the machine is shared, so take the mean.
        const baseline = (rawRun.rps + rawAgain.rps) / 2;
        return {
          name: 'text-protocol',
          figures: {
            'raw req/s': round(baseline, 0),
            'poll req/s': round(poll.rps, 0),
            'submit req/s': round(submit.rps, 0),
            'poll p99 ms': poll.p99ms,
            'submit p99 ms': submit.p99ms,
            'errors+non2xx': poll.errors + poll.non2xx + submit.errors + submit.non2xx,
          },
          goals: [
            { name: 'poll / raw', value: round(poll.rps / baseline), target: 0.5, kind: 'min', unit: 'ratio' },
            { name: 'submit / raw', value: round(submit.rps / baseline), target: 0.25, kind: 'min', unit: 'ratio' },
          ],
        };
      } finally {
        await server.stop();
        await raw.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
