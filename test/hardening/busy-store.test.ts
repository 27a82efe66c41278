import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cf11CheckDigit } from '../../src/taxid/index.ts';
import { openStore } from '../../src/store/store.ts';
import { cliOk, IPA_SAMPLE, killAllChildren, lastLine, startServerProcess, type ServerProcess } from '../helpers/cli.ts';

/**
 * The embedded store kept busy by admin commands beside a running server, as operators do: a
 * 100,000-row dataset import and a series of top-ups and listings, while clients submit, poll
 * and ask their balance. SQLite has one writer at a time; every request still gets its protocol
 * answer (no SQLITE_BUSY surfacing as a 500 or a 503), and every top-up lands exactly once.
 */

const TOPUPS = 3;
const ROWS = 100_000;
const NO_LIMITS = { CERCAPEC_RATE_LIMIT_PER_KEY: '0', CERCAPEC_RATE_LIMIT_PER_IP: '0' };
const tmpDirs: string[] = [];
let server: ServerProcess | undefined;

after(async () => {
  await server?.kill('SIGKILL');
  await killAllChildren();
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

function code(n: number): string {
  const first10 = `${String(1_000_000 + n).padStart(7, '0')}002`;
  return first10 + cf11CheckDigit(first10);
}

async function bigDataset(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('codice_fiscale;pec;denominazione;tipo\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${code(i)};ufficio${i}@pec.impresa${i % 997}.it;Impresa ${i} S.r.l.;impresa\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

describe('admin commands beside a running server (SQLite)', () => {
  test('a big import and top-ups while clients are served: every request answered, no busy errors', { timeout: 180_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-busy-'));
    tmpDirs.push(dir);
    const dataDir = join(dir, 'data');
    const added = await cliOk([
      'accounts',
      'add',
      '--name',
      'studio',
      '--billing',
      'prepaid',
      '--price-cents',
      '1',
      '--credit-cents',
      '100000',
      '--data',
      dataDir,
    ]);
    const key = lastLine(added.stdout);
    await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', '--data', dataDir]);
    const dataset = join(dir, 'imprese.csv');
    await bigDataset(dataset, ROWS);
    server = await startServerProcess({ dataDir, env: NO_LIMITS });
    const url = server.url;

    let stop = false;
    const bad: string[] = [];
    let answered = 0;
    let submitted = 0;
    const clients = Array.from({ length: 6 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const n = 300_000 + c * 100_000 + i;
        const sub = await fetch(`${url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: code(n) }) });
        const line = await sub.text();
        if (sub.status !== 200 || !line.startsWith('OK|')) bad.push(`submit ${sub.status} ${line}`);
        else submitted++;
        const poll = await fetch(`${url}/index_ws.php?${new URLSearchParams({ key, token: line.slice(3) })}`);
        const answer = await poll.text();
        if (poll.status !== 200 || !/^(OK|WAIT)\|/.test(answer)) bad.push(`poll ${poll.status} ${answer}`);
        const json = await fetch(`${url}/v1/account`, { headers: { authorization: `Bearer ${key}` } });
        if (json.status !== 200) bad.push(`account ${json.status} ${await json.text()}`);
        else await json.arrayBuffer();
        answered += 3;
      }
    });

    const started = Date.now();
    const admin = (async () => {
      const imported = cliOk(['import', dataset, '--format', 'csv', '--name', 'imprese', '--data', dataDir], { timeoutMs: 120_000 });
      for (let i = 1; i <= TOPUPS; i++) {
        await cliOk(['accounts', 'topup', 'studio', '100', '--reason', `bonifico ${i}`, '--data', dataDir]);
      }
      assert.match((await cliOk(['accounts', 'list', '--data', dataDir])).stdout, /studio/);
      const report = await imported;
      assert.match(report.stdout, new RegExp(`addresses imported: ${ROWS}`));
    })();
    await admin;
    const adminMs = Date.now() - started;
    stop = true;
    await Promise.all(clients);
    t.diagnostic(`${answered} requests answered during ${adminMs} ms of admin work`);
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} requests were not answered normally`);
    assert.ok(answered > 30, 'the clients were served meanwhile');

    // The directory answers from the new dataset; the top-ups all landed, once each.
    const hit = await fetch(`${url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: code(123) }) });
    const token = (await hit.text()).slice(3);
    const answer = await (await fetch(`${url}/index_ws.php?${new URLSearchParams({ key, token })}`)).text();
    assert.equal(answer, `OK|ufficio123@pec.impresa${123 % 997}.it|pec trovata`);
    const saldo = await (await fetch(`${url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, saldo: '' }) })).text();
    assert.equal(saldo, ((100_000 + TOPUPS * 100 - submitted - 1) / 100).toFixed(2));
    assert.equal((await server.stop()).code, 0);
    const store = await openStore({ dataDir });
    try {
      const topups = await store.db.selectFrom('ledger').select('reason').where('kind', '=', 'topup').where('reason', 'like', 'bonifico %').execute();
      assert.deepEqual(topups.map((r) => r.reason).sort(), Array.from({ length: TOPUPS }, (_, i) => `bonifico ${i + 1}`).sort(), 'each top-up once');
    } finally {
      await store.close();
    }
  });
});
