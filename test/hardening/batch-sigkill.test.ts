import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../src/store/store.ts';
import { cf11CheckDigit } from '../../src/taxid/index.ts';
import { seededRandom } from '../../src/seeded-random.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { cliOk, delay, IPA_SAMPLE, ipaSamplePecs, lastLine, processSandbox, type ServerProcess } from '../helpers/cli.ts';

/**
 * A batch upload (POST /v1/batches) against a real `cercapec serve` on the embedded store,
 * killed with SIGKILL three times: in the middle of the upload, while its lookups are being
 * created (before the 202), and right after the 202 while the workers answer. After each restart: nothing accepted is lost, every valid row of the batch is
 * answered exactly once, and the ledger has exactly one charge per lookup (none for the upload
 * that was cut off).
 */

const ENV = {
  CERCAPEC_RATE_LIMIT_PER_KEY: '0',
  CERCAPEC_RATE_LIMIT_PER_IP: '0',
  CERCAPEC_INLINE_ANSWERS: 'false',
  CERCAPEC_WORKER_CONCURRENCY: '2',
  CERCAPEC_LEASE_MS: '1000',
};
const PRICE = 10;
const CREDIT = 10_000_000;
const sample = ipaSamplePecs();
const sandbox = processSandbox('batch-kill');

function start(dataDir: string): Promise<ServerProcess> {
  return sandbox.start({ dataDir, env: ENV });
}

/** The upload: every sample code, 5,000 codes nobody has, duplicates, invalid rows, in a seeded order. */
function batchCsv(): { csv: string; valid: Set<string>; rows: number } {
  const random = seededRandom(911);
  const codes = new Set<string>();
  while (codes.size < 5000) {
    const first10 = String(2_000_000 + Math.floor(random() * 7_000_000)).padStart(7, '0') + '001';
    const code = first10 + cf11CheckDigit(first10);
    if (!sample.has(code)) codes.add(code);
  }
  const rows = [...sample.keys(), ...codes];
  for (let i = 0; i < 40; i++) rows.push(rows[Math.floor(random() * rows.length)]); // duplicates
  for (let i = 0; i < 20; i++) {
    const first10 = String(3_000_000 + i).padStart(7, '0') + '001';
    rows.push(first10 + ((cf11CheckDigit(first10) + 1) % 10)); // a wrong check digit: invalid rows
  }
  rows.sort(() => random() - 0.5);
  const valid = new Set(rows.filter((c) => sample.has(c) || codes.has(c)));
  return { csv: `Partita IVA;Nota\r\n${rows.map((c, i) => `${c};riga ${i + 1}`).join('\r\n')}\r\n`, valid, rows: rows.length };
}

/** Sends the CSV slowly (500 bytes every 20 ms); resolves when `kill` has run after `cutAt` bytes, with the error seen. */
function slowUpload(url: string, key: string, csv: string, cutAt: number, kill: () => Promise<unknown>): Promise<string> {
  const body = Buffer.from(csv);
  return new Promise((resolve) => {
    const req = http.request(`${url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' } });
    let sent = 0;
    let killed = false;
    req.on('response', (res) => resolve(`answered ${res.statusCode}`));
    req.on('error', (error) => resolve(error.message));
    const next = () => {
      if (killed) return;
      if (sent >= cutAt) {
        killed = true;
        void kill();
        return;
      }
      req.write(body.subarray(sent, sent + 500));
      sent += 500;
      setTimeout(next, 20);
    };
    next();
  });
}

async function api(url: string, key: string, path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30_000) });
  return { status: r.status, body: await r.json() };
}

describe('SIGKILL during a batch (real server processes, SQLite)', () => {
  test('killed mid-upload and again mid-processing: every valid row answered once, every lookup charged once', { timeout: 180_000 }, async (t) => {
    const dir = await sandbox.tmpDir();
    const dataDir = join(dir, 'data');
    const added = await cliOk([
      'accounts',
      'add',
      '--name',
      'studio',
      '--billing',
      'prepaid',
      '--price-cents',
      String(PRICE),
      '--credit-cents',
      String(CREDIT),
      '--data',
      dataDir,
    ]);
    const key = lastLine(added.stdout);
    await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', '--data', dataDir]);
    const { csv, valid, rows } = batchCsv();

    // 1. Killed while the upload is half sent.
    const first = await start(dataDir);
    const seen = await slowUpload(first.url, key, csv, Math.floor(csv.length * 0.4), () => first.kill('SIGKILL'));
    assert.doesNotMatch(seen, /^answered/, 'the cut-off upload got no answer');
    let store = await openStore({ dataDir });
    const cutOff = await store.db.selectFrom('batches').selectAll().execute();
    assert.equal(cutOff.length, 1);
    assert.equal(cutOff[0].status, 'uploading');
    assert.equal((await store.db.selectFrom('requests').select('id').execute()).length, 0, 'no lookup was created for the cut-off upload');
    assert.equal((await store.db.selectFrom('ledger').select('id').where('kind', '=', 'charge').execute()).length, 0, 'and nothing charged');
    await store.close();

    // 2. The client uploads again; the server is killed while it creates the lookups (the
    //    first chunks are committed and charged, the 202 has not been sent).
    const second = await start(dataDir);
    const watcher = new BetterSqlite3(join(dataDir, 'cercapec.sqlite'), { readonly: true });
    const count = watcher.prepare('select count(*) as n from requests');
    const uploading = fetch(`${second.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: csv,
    }).then(
      (r) => `answered ${r.status}`,
      (e: Error) => e.message,
    );
    await waitFor(
      () => (count.get() as { n: number }).n,
      (n) => n > 0,
      'the first lookups of the upload',
      { intervalMs: 2, timeoutMs: 60_000, detail: second.output },
    );
    await second.kill('SIGKILL');
    watcher.close();
    const secondSeen = await uploading;
    store = await openStore({ dataDir });
    const midCreation = await store.db.selectFrom('requests').select('id').execute();
    const midCharges = await store.db.selectFrom('ledger').select('request_id').where('kind', '=', 'charge').execute();
    assert.ok(midCreation.length > 0);
    assert.equal(midCharges.length, midCreation.length, 'every stored lookup charged once, at the kill too');
    t.diagnostic(`second kill: ${midCreation.length} of ${valid.size} lookups created; the client saw: ${secondSeen}`);
    await store.close();

    // 3. The client, without its 202, uploads again; the server is killed as soon as the 202 arrives.
    const third = await start(dataDir);
    const created = await fetch(`${third.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: csv,
    });
    const batch = (await created.json()) as { id: string; rows: number; validRows: number; distinctCodes: number; newLookups: number; status: string };
    await third.kill('SIGKILL');
    assert.equal(created.status, 202, JSON.stringify(batch));
    assert.deepEqual([batch.rows, batch.validRows, batch.distinctCodes], [rows, csvCodes(csv).filter((c) => valid.has(c)).length, valid.size]);
    if (secondSeen.startsWith('answered')) assert.equal(batch.newLookups, 0);
    else assert.equal(batch.newLookups, valid.size - midCreation.length, 'the codes made before the kill are linked, not charged again');
    store = await openStore({ dataDir });
    const atKill = await store.db.selectFrom('requests').select(['id', 'status']).execute();
    assert.equal(atKill.length, valid.size, 'every lookup of the accepted batch is stored');
    t.diagnostic(`third kill: ${atKill.filter((r) => r.status === 'queued' || r.status === 'running').length} of ${atKill.length} lookups not answered yet`);
    await store.close();

    // 4. After the restart the batch completes; each row has its answer.
    const fourth = await start(dataDir);
    const deadline = Date.now() + 90_000;
    let status = batch.status;
    while (status !== 'completed') {
      assert.ok(Date.now() < deadline, `batch still ${status}`);
      await delay(200);
      status = (await api(fourth.url, key, `/v1/batches/${batch.id}`)).body.status;
    }
    const results = (await api(fourth.url, key, `/v1/batches/${batch.id}/results?format=json`)).body as {
      row: number;
      code: string | null;
      status: string;
      pec: string | null;
      input: Record<string, string>;
    }[];
    assert.equal(results.length, rows);
    const wrong = results.filter((r) => {
      const code = r.input['Partita IVA'];
      if (!valid.has(code)) return r.status !== 'invalid';
      const pecs = sample.get(code);
      return pecs ? r.status !== 'found' || r.pec !== pecs[0] : r.status !== 'not_found' || r.pec !== null;
    });
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} rows answered wrongly`);
    assert.equal((await fourth.stop()).code, 0, fourth.output());

    // 5. The store: one charge and one decisive attempt per lookup, no refund, no job left.
    store = await openStore({ dataDir });
    try {
      const requests = await store.db.selectFrom('requests').selectAll().execute();
      assert.equal(requests.length, valid.size, 'one lookup per distinct valid code, over the three uploads');
      const rowsOfBatch = await store.db.selectFrom('batch_rows').select(['code', 'request_id']).where('batch_id', '=', batch.id).execute();
      assert.ok(
        rowsOfBatch.every((r) => (r.code === null) === (r.request_id === null)),
        'every valid row of the accepted batch has its lookup',
      );
      const charges = await store.db.selectFrom('ledger').select('request_id').where('kind', '=', 'charge').execute();
      assert.equal(charges.length, requests.length, 'one charge per lookup');
      assert.equal(new Set(charges.map((c) => c.request_id)).size, requests.length, 'no lookup charged twice');
      assert.equal((await store.db.selectFrom('ledger').select('id').where('kind', '=', 'refund').execute()).length, 0);
      const decisive = await store.db.selectFrom('attempts').select('request_id').where('outcome', 'in', ['found', 'not_found']).execute();
      assert.equal(decisive.length, requests.length, 'one decisive attempt per lookup');
      assert.equal(new Set(decisive.map((d) => d.request_id)).size, requests.length, 'each lookup answered exactly once');
      const jobs = await store.db.selectFrom('jobs').select(['queue', 'status']).where('queue', '=', 'lookup').execute();
      assert.deepEqual(jobs, [], 'no lookup job left');
      const balance = (await store.db.selectFrom('ledger').select('amount_cents').execute()).reduce((s, l) => s + Number(l.amount_cents), 0);
      assert.equal(balance, CREDIT - PRICE * valid.size);
      // The cut-off uploads wait for the batch sweeper (15 minutes), which rolls them back (never resumes them); never charged twice.
      const orphan = await store.db.selectFrom('batches').select(['id', 'status']).where('id', '=', cutOff[0].id).executeTakeFirst();
      assert.ok(!orphan || orphan.status === 'uploading', `the cut-off upload is ${orphan?.status}`);
      assert.equal((await store.db.selectFrom('requests').select('id').where('batch_id', '=', cutOff[0].id).execute()).length, 0);
    } finally {
      await store.close();
    }
  });
});

function csvCodes(csv: string): string[] {
  return csv
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(';')[0]);
}
