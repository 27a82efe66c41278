import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './lib/bench.ts';
import { freePort, runText, SERVER_ENV, startHttpProcess, startProcess } from './lib/processes.ts';
import { writeDirectoryCsv } from './lib/datasets.ts';
import { codeAt } from './lib/codes.ts';
import { percentile, round } from './lib/stats.ts';
import { openStore } from '../src/store/store.ts';

const CLIENTS = Number(process.env.BENCH_LONG_POLLS ?? 5000);
const PG_URL = process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * 5,000 clients hold GET /v1/lookups/{id}?wait=60 open on an API process; then a worker process
 * answers their lookups. Memory per waiting client (API process RSS) and wake-up latency from
 * the answer's commit (answered_at) to the client holding the response. On PostgreSQL, because
 * the answer comes from another process: the wake-up crosses processes with LISTEN/NOTIFY.
 */
export const longPollsBench: Bench = {
  name: 'long-polls',
  description: `${CLIENTS.toLocaleString('en')} concurrent long polls on PostgreSQL: memory per waiting client, wake-up p99`,
  async run() {
    const schema = `bench_lp_${randomBytes(4).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    const env = { ...SERVER_ENV, CERCAPEC_DATABASE_URL: PG_URL, CERCAPEC_DATABASE_SCHEMA: schema, CERCAPEC_INLINE_ANSWERS: 'false' };
    const cli = (args: string[]) => runText(['bin/cercapec.js', ...args], env);
    try {
      const key = (await cli(['accounts', 'add', '--name', 'bench', '--billing', 'postpaid', '--price-cents', '0'])).trim().split('\n').pop()!;
      const csv = join(dir, 'codes.csv');
      await writeDirectoryCsv(csv, CLIENTS);
      await cli(['import', csv, '--format', 'csv']);
      const apiPort = await freePort();
      const api = await startHttpProcess(['bin/cercapec.js', 'serve', '--role', 'api', '--port', String(apiPort)], apiPort, env);
      const auth = { authorization: `Bearer ${key}` };
      try {
        const ids: string[] = [];
        for (let i = 0; i < CLIENTS; i += 100) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(100, CLIENTS - i) }, (_, j) =>
              fetch(`${api.url}/v1/lookups`, {
                method: 'POST',
                headers: { ...auth, 'content-type': 'application/json' },
                body: JSON.stringify({ code: codeAt(i + j) }),
              }).then((r) => r.json() as Promise<{ id: string }>),
            ),
          );
          ids.push(...batch.map((b) => b.id));
        }
        await new Promise((r) => setTimeout(r, 1000));
        global.gc?.();
        const before = rssBytes(api.child.pid!);
        const received = new Map<string, number>();
        const polls: Promise<string>[] = [];
        // Open the connections in waves: 5,000 SYNs at once overflow the listen backlog.
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i];
          polls.push(
            fetch(`${api.url}/v1/lookups/${id}?wait=60`, { headers: auth }).then(async (r) => {
              const body = (await r.json()) as { status: string };
              received.set(id, Date.now());
              return body.status;
            }),
          );
          if (i % 200 === 199) await new Promise((r) => setTimeout(r, 50));
        }
        // Let every poll reach the server and park.
        await new Promise((r) => setTimeout(r, 4000));
        const during = rssBytes(api.child.pid!);
        const worker = startProcess(['bin/cercapec.js', 'serve', '--role', 'worker'], { ...env, CERCAPEC_WORKER_CONCURRENCY: '16' });
        const statuses = await Promise.all(polls);
        await worker.stop();
        const store = await openStore({ databaseUrl: PG_URL, dataDir: '', schema, migrate: false });
        const rows = await store.db.selectFrom('requests').select(['id', 'answered_at']).execute();
        await store.close();
        const latencies = rows.filter((r) => r.answered_at !== null && received.has(r.id)).map((r) => received.get(r.id)! - Number(r.answered_at));
        return {
          name: 'long-polls',
          figures: {
            'waiting clients': CLIENTS,
            'answered found': statuses.filter((s) => s === 'found').length,
            'API RSS before MB': round(before / 2 ** 20, 1),
            'API RSS waiting MB': round(during / 2 ** 20, 1),
            'KB per waiting client': round((during - before) / CLIENTS / 1024, 1),
            'wake-up p50 ms': percentile(latencies, 50),
            'wake-up p99 ms': percentile(latencies, 99),
          },
          goals: [],
          notes: ["wake-up latency: client receipt minus the answer's commit time (answered_at), same machine clock"],
        };
      } finally {
        await api.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      const store = await openStore({ databaseUrl: PG_URL, dataDir: '', schema, migrate: false }).catch(() => null);
      await store?.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await store?.close();
    }
  },
};
