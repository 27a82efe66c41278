import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './lib/bench.ts';
import { freePort, runText, SERVER_ENV, startHttpProcess } from './lib/processes.ts';
import { percentile, round } from './lib/stats.ts';
import { inlineRow, repeat, sheetOf, workbookParts, zipOf } from '../test/hardening/zip-writer.ts';

const BOMBS = Number(process.env.BENCH_XLSX_BOMBS ?? 16);
const MB = 1024 * 1024;

/** The server's resident memory now (VmRSS), in MB: Linux only. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.replace(/\D+/g, '')) / 1024 : NaN;
}

/** The kinds of bomb issue 15 sent (1-3.5 MB each, refused 413), taken in turn. */
async function bombs(): Promise<Buffer[]> {
  const kinds = [
    // 64 MB of small shared strings, the cap kept in memory
    () =>
      zipOf(
        workbookParts(
          sheetOf(() => [inlineRow(['82003050109'])]),
          {
            sharedStrings: function* () {
              yield Buffer.from('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">');
              yield* repeat(Buffer.from('<si><t>82003050109</t></si>'.repeat(4096)), 1000);
              yield Buffer.from('</sst>');
            },
          },
        ),
      ),
    // 2,000,000 rows in a sheet parked before its shared strings
    () => zipOf(workbookParts(sheetOf(() => repeat(inlineRow(['00743110157']), 2_000_000)))),
    // one 300 MB cell
    () =>
      zipOf(
        workbookParts(
          sheetOf(function* () {
            yield Buffer.from('<row r="1"><c r="A1" t="inlineStr"><is><t>');
            yield* repeat(Buffer.alloc(MB, 'A'), 300);
            yield Buffer.from('</t></is></c></row>');
          }),
        ),
      ),
    // 1 GB of zeros in a part the reader ignores
    () =>
      zipOf(
        workbookParts(
          sheetOf(() => [inlineRow(['82003050109'])]),
          { extra: [{ name: 'docProps/app.xml', chunks: () => repeat(Buffer.alloc(MB), 1024) }] },
        ),
      ),
  ];
  const made = await Promise.all(kinds.map((k) => k()));
  return Array.from({ length: BOMBS }, (_, i) => made[i % made.length]);
}

/**
 * Issue 15, item 2: BOMBS XLSX zip bombs posted at once to a real server process (default
 * limits), while /healthz is asked every 20 ms. Figures: the server's RSS growth over its idle
 * RSS, the answers (413 refused, 503 turned away to retry), /healthz latency during the storm.
 */
export const xlsxBombsBench: Bench = {
  name: 'xlsx-bombs',
  description: `${BOMBS} XLSX zip bombs at once: server RSS growth and /healthz latency`,
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    try {
      const files = await bombs();
      const key = (await runText(['bin/cercapec.js', 'accounts', 'add', '--name', 'bench', '--billing', 'postpaid', '--price-cents', '5', '--data', dataDir]))
        .trim()
        .split('\n')
        .pop()!;
      const port = await freePort();
      const server = await startHttpProcess(['bin/cercapec.js', 'serve', '--port', String(port), '--data', dataDir], port, SERVER_ENV);
      try {
        const pid = server.child.pid!;
        await new Promise((r) => setTimeout(r, 1000));
        const idle = rssMb(pid);
        let peak = idle;
        const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
        const health: number[] = [];
        let storming = true;
        const prober = (async () => {
          while (storming) {
            const t0 = performance.now();
            await fetch(`${server.url}/healthz`).then((r) => r.arrayBuffer());
            health.push(performance.now() - t0);
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        const t0 = performance.now();
        const statuses = await Promise.all(
          files.map(async (file) => {
            const r = await fetch(`${server.url}/v1/batches`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
              body: file,
            }).catch((e: Error) => ({ status: e.message, arrayBuffer: async () => null }));
            await r.arrayBuffer();
            return String(r.status);
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        storming = false;
        await prober;
        clearInterval(sampler);
        const byStatus: Record<string, number> = {};
        for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1;
        const growth = round(peak - idle, 0);
        const p99 = round(percentile(health, 99), 1);
        return {
          name: 'xlsx-bombs',
          figures: {
            bombs: BOMBS,
            'upload sizes (MB)': [...new Set(files.map((f) => round(f.length / MB, 1)))].join(', '),
            answers: Object.entries(byStatus)
              .map(([s, n]) => `${n} x ${s}`)
              .join(', '),
            'all answered in (s)': round(seconds, 1),
            'server RSS idle (MB)': round(idle, 0),
            'server RSS peak growth (MB)': growth,
            'healthz p50 / p99 / max (ms)': `${round(percentile(health, 50), 1)} / ${p99} / ${round(Math.max(...health), 1)} (${health.length} probes)`,
          },
          goals: [
            { name: 'RSS growth', value: growth, target: 300, kind: 'max', unit: 'MB' },
            { name: 'healthz p99', value: p99, target: 50, kind: 'max', unit: 'ms' },
          ],
        };
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
