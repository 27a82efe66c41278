import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Bench } from './lib/bench.ts';
import { cpuMicros, freePort, runJsonProcess, runText, SERVER_ENV, startHttpProcess, type Child } from './lib/processes.ts';
import { round } from './lib/stats.ts';
import { backendCpu, backendPids } from './lib/pg-backends.ts';
import { openStore } from '../src/store/store.ts';

interface Load {
  rps: number;
  p99ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

const CONNECTIONS = 64;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const PG_URL = process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LEDGER_ROWS = 200_000;

let offset = 0;
async function load(config: Record<string, unknown>): Promise<Load> {
  // Every submit run sends codes no earlier run sent: nothing is refused as a duplicate.
  offset += 5_000_000;
  return runJsonProcess<Load>(['--import', 'tsx', 'bench/lib/load.ts', JSON.stringify({ connections: CONNECTIONS, durationS: DURATION_S, offset, ...config })]);
}

/** A load run with the server's CPU time per request (µs; null where /proc is missing). */
async function withCpu(server: Child, run: () => Promise<Load>): Promise<Load & { cpuUs: number | null }> {
  const before = cpuMicros(server.child.pid);
  const result = await run();
  const after = cpuMicros(server.child.pid);
  return { ...result, cpuUs: before === null || after === null || result.total === 0 ? null : round((after - before) / result.total, 1) };
}

/** A prepaid account with credit for every submission of the run (price 1 cent); its key. */
async function prepaidAccount(store: string[]): Promise<string> {
  const out = await runText([
    'bin/cercapec.js',
    'accounts',
    'add',
    '--name',
    'bench',
    '--billing',
    'prepaid',
    '--price-cents',
    '1',
    '--credit-cents',
    '100000000',
    ...store,
  ]);
  return out.trim().split('\n').pop()!;
}

/**
 * Gives the account a long history: LEDGER_ROWS charges and top-ups, as a customer doing 1,000
 * lookups a day has after about seven months. Written straight into the file (and the stored
 * balance moved by their sum, as billing/ledger.ts would), so setting up takes seconds.
 */
function addLedgerHistory(dataDir: string): void {
  const db = new BetterSqlite3(join(dataDir, 'cercapec.sqlite'));
  try {
    const { id } = db.prepare<[], { id: string }>('select id from accounts').get()!;
    const insert = db.prepare('insert into ledger (id, account_id, amount_cents, kind, request_id, reason, created_at) values (?, ?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < LEDGER_ROWS; i++)
        insert.run(`led_hist_${i}`, id, i % 2 ? -1 : 1, i % 2 ? 'adjustment' : 'topup', null, 'storico', 1_700_000_000_000 + i);
    })();
  } finally {
    db.close();
  }
}

async function serve(dataDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<Child> {
  const port = await freePort();
  return startHttpProcess(['bin/cercapec.js', 'serve', '--port', String(port), '--data', dataDir, ...args], port, { ...SERVER_ENV, ...env });
}

/**
 * The text protocol's throughput on one process, load from another (autocannon, 64
 * connections), each figure next to a baseline measured in the same run:
 * - poll against raw node:http answering a fixed line;
 * - submit against the limit server (bench/lib/limit-server.ts: node:http + better-sqlite3,
 *   the same durable work in one transaction per request), by a server with every role (its
 *   workers also process what it accepts) and by one that only accepts (`--role api`), as the
 *   limit server does;
 * - a prepaid account with a 200,000-row ledger against a fresh one;
 * - PostgreSQL (one process, one account) against SQLite.
 */
export const textProtocolBench: Bench = {
  name: 'text-protocol',
  description: 'poll and submit throughput vs raw node:http, the limit server, a long ledger and PostgreSQL (64 connections)',
  async run() {
    const dirs = [1, 2, 3, 4].map(() => mkdtempSync(join(tmpdir(), 'cercapec-bench-')));
    const [freshDir, historyDir, limitDir, apiDir] = dirs;
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const pg = ['--database', PG_URL, '--schema', schema];
    const children: Child[] = [];
    try {
      const key = await prepaidAccount(['--data', freshDir]);
      const apiKey = await prepaidAccount(['--data', apiDir]);
      const historyKey = await prepaidAccount(['--data', historyDir]);
      addLedgerHistory(historyDir);
      const pgKey = await prepaidAccount(pg);

      const rawPort = await freePort();
      const raw = await startHttpProcess(['--import', 'tsx', 'bench/lib/raw-server.ts', String(rawPort)], rawPort);
      children.push(raw);
      const limitPort = await freePort();
      const limit = await startHttpProcess(['--import', 'tsx', 'bench/lib/limit-server.ts', String(limitPort), limitDir, key], limitPort);
      children.push(limit);
      const server = await serve(freshDir);
      children.push(server);

      const submitted = await fetch(`${server.url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: '00743110157' }) });
      const token = (await submitted.text()).slice(3);
      const pollPath = `/index_ws.php?key=${encodeURIComponent(key)}&token=${token}`;
      const submitLoad = (url: string, k: string) => load({ url, method: 'POST', path: '/index_ws.php', key: k, submit: true });

      const rawRun = await withCpu(raw, () => load({ url: raw.url, method: 'GET', path: '/index_ws.php' }));
      const poll = await withCpu(server, () => load({ url: server.url, method: 'GET', path: pollPath }));
      const limitRun = await submitLoad(limit.url, key);
      const submit = await submitLoad(server.url, key);
      await server.stop();

      // Accepting only, like the limit server: the same process also running the lookup workers
      // spends about as much again processing what it accepted (a transaction per answer).
      const apiOnly = await serve(apiDir, {}, ['--role', 'api']);
      children.push(apiOnly);
      const apiSubmit = await submitLoad(apiOnly.url, apiKey);
      await apiOnly.stop();

      const history = await serve(historyDir);
      children.push(history);
      const historySubmit = await submitLoad(history.url, historyKey);
      await history.stop();

      const onPg = await serve(freshDir, { CERCAPEC_DATABASE_URL: PG_URL, CERCAPEC_DATABASE_SCHEMA: schema });
      children.push(onPg);
      const pgSubmit = await submitLoad(onPg.url, pgKey);
      await onPg.stop();

      // The baselines twice, before and after: the machine is shared, so take the mean.
      const rawAgain = await withCpu(raw, () => load({ url: raw.url, method: 'GET', path: '/index_ws.php' }));
      const limitAgain = await submitLoad(limit.url, key);
      const baseline = (rawRun.rps + rawAgain.rps) / 2;
      const limitBaseline = (limitRun.rps + limitAgain.rps) / 2;
      const runs = [poll, submit, apiSubmit, historySubmit, pgSubmit, limitRun, limitAgain];
      return {
        name: 'text-protocol',
        figures: {
          'raw req/s': round(baseline, 0),
          'limit server submit req/s': round(limitBaseline, 0),
          'poll req/s': round(poll.rps, 0),
          'submit req/s (SQLite)': round(submit.rps, 0),
          'submit req/s (SQLite, role api)': round(apiSubmit.rps, 0),
          [`submit req/s, ${LEDGER_ROWS} ledger rows`]: round(historySubmit.rps, 0),
          'submit req/s (PostgreSQL)': round(pgSubmit.rps, 0),
          'poll p99 ms': poll.p99ms,
          // Steadier than req/s on a shared machine (see cpuMicros).
          'raw server CPU µs per request': rawRun.cpuUs === null || rawAgain.cpuUs === null ? 'n/a' : round((rawRun.cpuUs + rawAgain.cpuUs) / 2, 1),
          'poll CPU µs per request': poll.cpuUs ?? 'n/a',
          'submit p99 ms': submit.p99ms,
          'errors+non2xx': runs.reduce((n, r) => n + r.errors + r.non2xx, 0),
        },
        goals: [
          { name: 'poll / raw', value: round(poll.rps / baseline), target: 0.5, kind: 'min', unit: 'ratio' },
          { name: 'submit / limit server', value: round(submit.rps / limitBaseline), target: 1.0, kind: 'min', unit: 'ratio' },
          { name: 'submit, accepting only (role api) / limit server', value: round(apiSubmit.rps / limitBaseline), target: 1.0, kind: 'min', unit: 'ratio' },
          { name: 'long ledger / fresh', value: round(historySubmit.rps / submit.rps), target: 0.8, kind: 'min', unit: 'ratio' },
          { name: 'PostgreSQL / SQLite submit', value: round(pgSubmit.rps / submit.rps), target: 0.8, kind: 'min', unit: 'ratio' },
        ],
      };
    } finally {
      for (const c of children) await c.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      await dropSchema(schema);
    }
  },
};

/**
 * Only the PostgreSQL figure of text-protocol, for work on the PostgreSQL accept path: one
 * process, one prepaid account, 64 connections, against the same submit on SQLite measured
 * before and after it in the same run (their mean: the machine is shared).
 */
export const pgSubmitBench: Bench = {
  name: 'pg-submit',
  description: 'PostgreSQL submit (one process, one account, 64 connections) vs SQLite submit, same run',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-'));
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const children: Child[] = [];
    try {
      const key = await prepaidAccount(['--data', dir]);
      const pgKey = await prepaidAccount(['--database', PG_URL, '--schema', schema]);
      const submitLoad = (url: string, k: string) => load({ url, method: 'POST', path: '/index_ws.php', key: k, submit: true });
      const measure = async (env: Record<string, string>, k: string) => {
        const server = await serve(dir, env);
        children.push(server);
        // PostgreSQL's side of the cost: the CPU of the backends serving this server's pool.
        const backends = async () => (env.CERCAPEC_DATABASE_URL ? backendCpu(await backendPids(server.child.pid!, PG_URL)) : new Map<number, number>());
        const before = await backends();
        const result = await withCpu(server, () => submitLoad(server.url, k));
        const after = await backends();
        await server.stop();
        let backendUs = 0;
        for (const [pid, us] of after) backendUs += us - (before.get(pid) ?? 0);
        return { ...result, backendCpuUs: after.size === 0 || result.total === 0 ? null : round(backendUs / result.total, 1) };
      };
      const sqliteBefore = await measure({}, key);
      const pg = await measure({ CERCAPEC_DATABASE_URL: PG_URL, CERCAPEC_DATABASE_SCHEMA: schema }, pgKey);
      const sqliteAfter = await measure({}, key);
      const baseline = (sqliteBefore.rps + sqliteAfter.rps) / 2;
      return {
        name: 'pg-submit',
        figures: {
          'submit req/s (SQLite, mean)': round(baseline, 0),
          'submit req/s (SQLite, before; after)': `${round(sqliteBefore.rps, 0)}; ${round(sqliteAfter.rps, 0)}`,
          'submit req/s (PostgreSQL)': round(pg.rps, 0),
          'PostgreSQL submit p99 ms': pg.p99ms,
          'PostgreSQL server CPU µs per request': pg.cpuUs ?? 'n/a',
          'PostgreSQL backends CPU µs per request': pg.backendCpuUs ?? 'n/a',
          'SQLite server CPU µs per request (before; after)': `${sqliteBefore.cpuUs ?? 'n/a'}; ${sqliteAfter.cpuUs ?? 'n/a'}`,
          'errors+non2xx': [sqliteBefore, pg, sqliteAfter].reduce((n, r) => n + r.errors + r.non2xx, 0),
        },
        goals: [{ name: 'PostgreSQL / SQLite submit', value: round(pg.rps / baseline), target: 0.8, kind: 'min', unit: 'ratio' }],
      };
    } finally {
      for (const c of children) await c.stop();
      rmSync(dir, { recursive: true, force: true });
      await dropSchema(schema);
    }
  },
};

async function dropSchema(schema: string): Promise<void> {
  const store = await openStore({ databaseUrl: PG_URL, dataDir: '', schema, migrate: false }).catch(() => null);
  await store?.db.schema
    .dropSchema(schema)
    .ifExists()
    .cascade()
    .execute()
    .catch(() => {});
  await store?.close();
}
