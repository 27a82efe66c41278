import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { cliOk, IPA_SAMPLE, killAllChildren, lastLine, runCli, startServerProcess, wsGet, wsPost, type ServerProcess } from '../helpers/cli.ts';
import { cf11CheckDigit } from '../../src/taxid/index.ts';

/**
 * The data folder of the embedded store on a small tmpfs that fills up, or is read-only. As root
 * chmod blocks nothing, so a real filesystem is mounted: these tests need root and mount(8),
 * and are skipped with the reason otherwise. A full disk: every request is answered (OK, or the
 * protocol's "try later" with 503: `Error|Errore interno, riprovare più tardi`, problem
 * `unavailable`), never a 500 or a crash; nothing accepted is lost, nothing half-written; once
 * space returns, requests are accepted again. A read-only folder: `serve` and the admin commands
 * refuse at once with a readable message, and work once it is writable.
 */

const NO_LIMITS = { CERCAPEC_RATE_LIMIT_PER_KEY: '0', CERCAPEC_RATE_LIMIT_PER_IP: '0' };
const INTERNAL = 'Error|Errore interno, riprovare più tardi';

function mountSkip(): string | false {
  if (process.getuid?.() !== 0) return 'disk fault tests skipped: they mount a tmpfs, which needs root';
  const probe = mkdtempSync(join(tmpdir(), 'cercapec-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return false;
  } catch (error) {
    return `disk fault tests skipped: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const skip = mountSkip();
if (skip) console.log(`# ${skip}`);

function code(n: number): string {
  const first10 = `${String(4_000_000 + n).padStart(7, '0')}001`;
  return first10 + cf11CheckDigit(first10);
}

/** Fills the filesystem of `dir` with one file until it has no room left; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler.bin');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  // Then the last few bytes too.
  const fd2 = openSync(join(dir, 'filler2.bin'), 'w');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(512, 1));
  } catch {
    /* full */
  } finally {
    closeSync(fd2);
  }
  return path;
}

describe('a full data folder (tmpfs)', { skip }, () => {
  let mnt: string;
  let server: ServerProcess;
  let key: string;
  before(() => {
    mnt = mkdtempSync(join(tmpdir(), 'cercapec-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
  });
  after(async () => {
    await server?.kill('SIGKILL');
    await killAllChildren();
    try {
      execFileSync('umount', [mnt]);
    } finally {
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  test('requests get "try later" (503), never a 500 or a crash; accepted ones survive; space back, service back', { timeout: 120_000 }, async (t) => {
    const dataDir = join(mnt, 'data');
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
      '1000000',
      '--data',
      dataDir,
    ]);
    key = lastLine(added.stdout);
    await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', '--data', dataDir]);
    server = await startServerProcess({ dataDir, env: NO_LIMITS });
    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const line = await wsPost(server.url, { key, cf: code(i) });
      assert.match(line, /^OK\|/);
      accepted.push(line.slice(3));
    }

    const filler = fill(mnt);
    const answers = new Map<string, number>();
    let refusedWithStatus = 0;
    for (let i = 30; i < 400; i++) {
      const r = await fetch(`${server.url}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: code(i) }) });
      const line = await r.text();
      if (line.startsWith('OK|')) {
        assert.equal(r.status, 200);
        accepted.push(line.slice(3));
      } else {
        assert.deepEqual([r.status, line], [503, INTERNAL], `submission ${i}`);
        refusedWithStatus++;
      }
      answers.set(line.startsWith('OK|') ? 'OK' : line, (answers.get(line.startsWith('OK|') ? 'OK' : line) ?? 0) + 1);
    }
    assert.ok(refusedWithStatus > 0, `the disk never filled up: ${JSON.stringify([...answers])}`);
    t.diagnostic(`with the disk full: ${JSON.stringify([...answers])}`);

    const json = await fetch(`${server.url}/v1/lookups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: code(1000) }),
    });
    assert.ok([202, 503].includes(json.status), `JSON submit: ${json.status}`);
    if (json.status === 503) {
      assert.match(json.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(((await json.json()) as { code: string }).code, 'unavailable');
    }
    const batch = await fetch(`${server.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: `codice\n${Array.from({ length: 300 }, (_, i) => code(2000 + i)).join('\n')}\n`,
    });
    assert.ok([202, 503].includes(batch.status), `batch upload: ${batch.status} ${await batch.text()}`);
    // Reads go on: the accepted tokens still answer.
    for (const token of accepted.slice(0, 10)) assert.match(await wsGet(server.url, { key, token }), /^(OK|WAIT)\|/);
    assert.equal(server.child.exitCode, null, 'the server is still running');

    rmSync(filler);
    rmSync(join(mnt, 'filler2.bin'), { force: true });
    let back = '';
    for (let i = 0; i < 50 && !back.startsWith('OK|'); i++) back = await wsPost(server.url, { key, cf: code(5000 + i) });
    assert.match(back, /^OK\|/, 'accepted again once there is space');
    accepted.push(back.slice(3));
    for (const token of accepted) assert.match(await wsGet(server.url, { key, token }), /^(OK|WAIT)\|/, `token ${token}`);
    assert.equal((await server.stop()).code, 0, server.output());
    assert.doesNotMatch(server.output(), /"status":500|Internal Server Error/);

    const db = new BetterSqlite3(join(dataDir, 'cercapec.sqlite'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'no corruption');
      const requests = db.prepare('select id from requests').all() as { id: string }[];
      const ids = new Set(requests.map((r) => r.id));
      assert.ok(
        accepted.every((t) => ids.has(t)),
        'every accepted request is stored',
      );
      const charges = db.prepare("select count(*) as n, count(distinct request_id) as d from ledger where kind = 'charge'").get() as { n: number; d: number };
      assert.deepEqual([charges.n, charges.d], [requests.length, requests.length], 'one charge per stored request, none for a refused one');
    } finally {
      db.close();
    }
  });
});

describe('a read-only data folder (tmpfs mounted read-only)', { skip }, () => {
  let mnt: string;
  before(() => {
    mnt = mkdtempSync(join(tmpdir(), 'cercapec-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  });
  after(async () => {
    await killAllChildren();
    try {
      execFileSync('umount', [mnt]);
    } finally {
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  test('serve and admin commands refuse with a readable message, and work once the folder is writable', { timeout: 60_000 }, async (t) => {
    const dataDir = join(mnt, 'data');
    mkdirSync(dataDir);
    await cliOk(['accounts', 'add', '--name', 'studio', '--billing', 'prepaid', '--price-cents', '1', '--credit-cents', '100', '--data', dataDir]);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);

    const served = startServerProcess({ dataDir, env: NO_LIMITS, startTimeoutMs: 20_000 });
    await assert.rejects(served, (error: Error) => {
      assert.match(error.message, /exited \(1\) before reporting its URL/);
      assert.match(error.message, /cercapec: cannot open the store .*cercapec\.sqlite: .*the data folder must be writable/);
      assert.doesNotMatch(error.message, /\n\s+at /, 'one line, no stack trace');
      return true;
    });
    const topup = await runCli(['accounts', 'topup', 'studio', '500', '--data', dataDir]);
    assert.notEqual(topup.code, 0);
    assert.match(topup.stderr, /^cercapec: cannot open the store .*the data folder must be writable by this user and have free space/);
    assert.doesNotMatch(topup.stderr, /\n\s+at /);
    t.diagnostic(`read-only: ${topup.stderr.trim()}`);

    execFileSync('mount', ['-o', 'remount,rw', mnt]);
    assert.match((await cliOk(['accounts', 'topup', 'studio', '500', '--data', dataDir])).stdout, /saldo 6\.00/);
    const server = await startServerProcess({ dataDir, env: NO_LIMITS });
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await server.stop()).code, 0);
  });
});
