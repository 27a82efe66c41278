import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, fetch as slowFetch } from 'undici';
import type { Bench } from './lib/bench.ts';
import { freePort, runText, SERVER_ENV, startHttpProcess } from './lib/processes.ts';
import { writeDirectoryCsv } from './lib/datasets.ts';
import { codeAt } from './lib/codes.ts';
import { keepAliveClient } from './lib/keep-alive-client.ts';
import { percentile, round } from './lib/stats.ts';
import { sqliteBaselineSeconds } from './lib/sqlite-baseline.ts';

const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 1_000_000);

/** What POST and GET /v1/batches answer, as far as the bench reads it. */
interface BatchState {
  id: string;
  status: string;
  detail?: string;
  counts?: Record<string, number>;
}

/** The server's peak resident memory (VmHWM), in MB: Linux only. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? round(Number(line.replace(/\D+/g, '')) / 1024, 0) : NaN;
}

/**
 * The server's CPU time so far (user + system), in seconds: Linux only. Steadier than wall time on
 * a shared machine, where the server waits for a core as long as it runs.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name; in clock ticks (100 a second).
  return round((Number(fields[11]) + Number(fields[12])) / 100);
}

/**
 * A batch of 1,000,000 codes against a 1,000,000-entry directory, from the upload to the results
 * file on disk, through the HTTP API of a real server process (embedded store, a priced
 * postpaid account, so every lookup is charged). The directory import is set-up, not timed.
 */
export const batchMillionBench: Bench = {
  name: 'batch-million',
  description: `a ${ROWS.toLocaleString('en')}-code batch against a ${ROWS.toLocaleString('en')}-entry directory, upload to results file: time and peak RSS`,
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    try {
      const csv = join(dataDir, 'directory.csv');
      await writeDirectoryCsv(csv, ROWS);
      const cli = (args: string[]) => runText(['bin/cercapec.js', ...args, '--data', dataDir]);
      const key = (await cli(['accounts', 'add', '--name', 'bench', '--billing', 'postpaid', '--price-cents', '5'])).trim().split('\n').pop()!;
      await cli(['import', csv, '--format', 'csv', '--name', 'directory']);
      const upload = join(dataDir, 'upload.csv');
      const out = createWriteStream(upload);
      out.write('partita_iva\n');
      for (let i = 0; i < ROWS; i++) if (!out.write(`${codeAt(i)}\n`)) await once(out, 'drain');
      out.end();
      await once(out, 'finish');

      const port = await freePort();
      const server = await startHttpProcess(['bin/cercapec.js', 'serve', '--port', String(port), '--data', dataDir], port, {
        ...SERVER_ENV,
        CERCAPEC_BATCH_MAX_ROWS: String(ROWS),
        // The upload answers once every row has its lookup: longer than the default 120 s cut-off.
        CERCAPEC_REQUEST_TIMEOUT_MS: '900000',
        // No bytes flow while the server creates the lookups: on a loaded machine that passed the
        // default 120 s idle-socket cut-off, and the upload failed with "other side closed".
        CERCAPEC_CONNECTION_TIMEOUT_MS: '900000',
        CERCAPEC_BATCH_MAX_BYTES: String(Math.max(50 * 1024 * 1024, statSync(upload).size + 1024)),
      });
      const auth = { authorization: `Bearer ${key}` };
      const resultsFile = join(dataDir, 'results.csv');
      // A client polling a lookup of its own, one request at a time, while the batch uploads:
      // on SQLite its reads go through the reading connection, beside the batch's writes.
      const polled = await fetch(`${server.url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: '00743110157' }) });
      const pollPath = `/index_ws.php?key=${encodeURIComponent(key)}&token=${(await polled.text()).slice(3)}`;
      // The poller runs in the bench's process on kept-alive node:http sockets, like the latency
      // benches (keep-alive-client.ts): undici's fetch cost about three times the client CPU,
      // which the poll's p99 measured along with the server's.
      const pollClient = keepAliveClient(server.url, 1);
      const pollTimes: number[] = [];
      // A poll whose connection was reset (the server's keep-alive cut-off passing during a long
      // stall on a loaded machine) is counted and retried, instead of failing the whole run.
      let pollErrors = 0;
      let uploading = true;
      const poller = (async () => {
        while (uploading) {
          const p0 = performance.now();
          try {
            const answer = await pollClient.call('GET', pollPath);
            if (answer.status !== 200) throw new Error(`poll answered ${answer.status}`);
            pollTimes.push(performance.now() - p0);
          } catch {
            pollErrors += 1;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        const cpu0 = cpuSeconds(server.child.pid!);
        const t0 = performance.now();
        const created = await slowFetch(`${server.url}/v1/batches`, {
          // undici gives up on a response after 300 s without headers by default.
          dispatcher: new Agent({ headersTimeout: 900_000, bodyTimeout: 900_000 }),
          method: 'POST',
          headers: { ...auth, 'content-type': 'text/csv' },
          body: readFileSync(upload),
        });
        const batch = (await created.json()) as BatchState;
        if (created.status !== 202) throw new Error(`upload refused: ${created.status} ${JSON.stringify(batch)}`);
        const uploaded = performance.now();
        const uploadCpu = cpuSeconds(server.child.pid!) - cpu0;
        uploading = false;
        await poller;
        let state = batch;
        while (state.status !== 'completed') {
          await new Promise((r) => setTimeout(r, 200));
          state = (await (await fetch(`${server.url}/v1/batches/${batch.id}`, { headers: auth })).json()) as BatchState;
        }
        const completed = performance.now();
        const results = await fetch(`${server.url}/v1/batches/${batch.id}/results?format=csv`, { headers: auth });
        await pipeline(Readable.fromWeb(results.body as never), createWriteStream(resultsFile));
        const done = performance.now();
        const lines =
          readFileSync(resultsFile, 'utf8')
            .split('\n')
            .filter((l) => l !== '').length - 1;
        const found = state.counts?.found ?? 0;
        const rss = peakRssMb(server.child.pid!);
        const total = (done - t0) / 1000;
        const baseline = sqliteBaselineSeconds(ROWS);
        return {
          name: 'batch-million',
          figures: {
            codes: ROWS,
            'found (should be all)': found,
            'result rows': lines,
            'upload s (until 202)': round((uploaded - t0) / 1000),
            'server CPU s during upload': round(uploadCpu),
            'until completed s': round((completed - uploaded) / 1000),
            'results download s': round((done - completed) / 1000),
            'total s': round(total),
            'server peak RSS MB': rss,
            'polls during upload': pollTimes.length,
            'polls failed (reset, or not 200)': pollErrors,
            'poll p99 ms during upload': round(percentile(pollTimes, 99)),
            'sqlite baseline s': baseline,
            'total / baseline': round(total / baseline),
          },
          goals: [
            { name: 'batch upload to results', value: round(total), target: 30, kind: 'max', unit: 's' },
            { name: 'batch peak RSS', value: rss, target: 400, kind: 'max', unit: 'MB' },
            { name: 'poll p99 during upload', value: round(percentile(pollTimes, 99)), target: 20, kind: 'max', unit: 'ms' },
          ],
        };
      } finally {
        uploading = false;
        await poller.catch(() => {});
        pollClient.close();
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
