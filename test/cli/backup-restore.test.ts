import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, copyFile, stat, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { cf11CheckDigit } from '../../src/taxid/index.ts';
import { openStore } from '../../src/store/store.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { backupSqlite, StoreFileError } from '../../src/store/backup-sqlite.ts';
import { restoreSqlite } from '../../src/store/restore-sqlite.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { systemClock } from '../../src/clock.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { cliOk, IPA_SAMPLE, processSandbox, runCli, type ServerProcess, wsGet, wsPost } from '../helpers/cli.ts';

/**
 * `cercapec backup` and `cercapec restore` against real processes: a backup taken while a
 * server answers a steady load is a consistent database (every request it holds is charged
 * once, the ledger adds up); restore refuses files that are not cercapec stores and refuses
 * while a server holds the store; after a restore the server answers the tokens of the backup.
 */

const NO_LIMITS = { CERCAPEC_RATE_LIMIT_PER_KEY: '0', CERCAPEC_RATE_LIMIT_PER_IP: '0', CERCAPEC_AUTH_FAILURES_PER_MINUTE: '0' };
const PRICE = 10;
const CREDIT = 1_000_000;
const sandbox = processSandbox('backup');

const tmp = () => sandbox.tmpDir();

/** The account and the IPA sample, written in process (a CLI start costs seconds; the CLI has its own tests). */
async function prepare(dataDir: string): Promise<string> {
  const store = await openStore({ dataDir });
  try {
    const { key } = await createAccount(store, Date.now(), {
      name: 'studio',
      billingMode: 'prepaid',
      priceCents: PRICE,
      initialCreditCents: CREDIT,
      creditLimitCents: null,
    });
    await importDataset(store, systemClock, { file: IPA_SAMPLE, format: 'ipa-enti' });
    return key.key;
  } finally {
    await store.close();
  }
}

function start(dataDir: string): Promise<ServerProcess> {
  return sandbox.start({ dataDir, env: NO_LIMITS });
}

/** Valid 11-digit codes, n of them, from a counter. */
function code(n: number): string {
  const first10 = `${String(1_000_000 + n).padStart(7, '0')}001`;
  return first10 + cf11CheckDigit(first10);
}

/** Submits and polls from 8 clients until stop() is called; every accepted token with when it was accepted. */
function load(url: string, key: string) {
  const accepted: { token: string; at: number }[] = [];
  let stopped = false;
  let next = 0;
  const failures: string[] = [];
  const clients = Array.from({ length: 8 }, async () => {
    while (!stopped) {
      const line = await wsPost(url, { key, cf: code(next++) });
      if (!line.startsWith('OK|')) failures.push(line);
      else {
        accepted.push({ token: line.slice(3), at: Date.now() });
        const polled = await wsGet(url, { key, token: line.slice(3) });
        if (!/^(OK|WAIT)\|/.test(polled)) failures.push(polled);
      }
    }
  });
  return {
    accepted,
    failures,
    async stop() {
      stopped = true;
      await Promise.all(clients);
    },
  };
}

/** The requests of a store file, checked for the ledger invariants. */
function inspect(file: string): { tokens: Set<string>; balance: number } {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('quick_check', { simple: true }), 'ok');
    const requests = db.prepare('select id from requests').all() as { id: string }[];
    const charges = db.prepare("select request_id, count(*) as n from ledger where kind = 'charge' group by request_id").all() as {
      request_id: string;
      n: number;
    }[];
    assert.equal(charges.length, requests.length, 'one charge per request, none without one');
    assert.ok(
      charges.every((c) => c.n === 1),
      'no request charged twice',
    );
    const { balance } = db.prepare('select sum(amount_cents) as balance from ledger').get() as { balance: number };
    assert.equal(balance, CREDIT - PRICE * requests.length);
    return { tokens: new Set(requests.map((r) => r.id)), balance };
  } finally {
    db.close();
  }
}

describe('cercapec backup and restore (real processes)', () => {
  test('a backup under load is consistent; restore refuses while the server runs; after it the tokens of the backup answer', { timeout: 180_000 }, async () => {
    const dir = await tmp();
    const dataDir = join(dir, 'data');
    const key = await prepare(dataDir);
    const server = await start(dataDir);
    const traffic = load(server.url, key);
    const failuresSoFar = () => `failures: ${traffic.failures.slice(0, 5).join(' / ')}`;
    await waitFor(
      () => traffic.accepted.length,
      (n) => n >= 200,
      '200 accepted requests before the backup',
      { timeoutMs: 60_000, detail: failuresSoFar },
    );

    const backupFile = join(dir, 'backups', 'cercapec-backup.sqlite');
    const startedAt = Date.now();
    const made = await cliOk(['backup', backupFile, '--data', dataDir]);
    const endedAt = Date.now();
    assert.match(made.stdout, /backup written: .*cercapec-backup\.sqlite \(\d+ bytes, \d+ pages, checked\)/);
    const beforeEnd = traffic.accepted.filter((a) => a.at <= endedAt).length;
    await waitFor(
      () => traffic.accepted.length,
      (n) => n >= beforeEnd + 100,
      '100 requests accepted after the backup',
      { timeoutMs: 60_000, detail: failuresSoFar },
    );
    await traffic.stop();
    assert.deepEqual(traffic.failures, [], 'the load was answered throughout the backup');

    assert.equal((await stat(backupFile)).mode & 0o777, 0o600, 'the backup is readable by its owner only');
    assert.ok(!existsSync(`${backupFile}-wal`), 'one self-contained file');
    const saved = inspect(backupFile);
    const before = traffic.accepted.filter((a) => a.at < startedAt).map((a) => a.token);
    const afterwards = traffic.accepted.filter((a) => a.at > endedAt).map((a) => a.token);
    assert.ok(
      before.every((t) => saved.tokens.has(t)),
      'every token accepted before the backup started is in it',
    );
    assert.ok(
      afterwards.every((t) => !saved.tokens.has(t)),
      'no token accepted after it ended',
    );

    await assert.rejects(backupSqlite(dataDir, backupFile), /exists: remove it or pass --force/);

    const refused = await runCli(['restore', backupFile, '--data', dataDir]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /in use by another process .*stop it first/);
    assert.equal(
      await wsGet(server.url, { key, token: afterwards[0] }).then((l) => l.startsWith('OK|') || l.startsWith('WAIT|')),
      true,
      'the running store is untouched',
    );

    assert.equal((await server.stop()).code, 0);
    const allTokens = traffic.accepted.length;
    const restored = await cliOk(['restore', backupFile, '--data', dataDir]);
    assert.match(restored.stdout, /restored .* \(migrations: 0001-initial, /);
    assert.match(restored.stdout, /previous store is kept as .*cercapec\.sqlite\.bak/);
    assert.equal(inspect(join(dataDir, 'cercapec.sqlite.bak')).tokens.size, allTokens, 'the replaced store is kept whole');

    const again = await start(dataDir);
    for (const token of before.slice(0, 50)) assert.match(await wsGet(again.url, { key, token }), /^OK\|/, `token ${token} of the backup`);
    for (const token of afterwards.slice(0, 20)) assert.equal(await wsGet(again.url, { key, token }), 'ERROR|Token sconosciuto');
    assert.equal(await wsPost(again.url, { key, saldo: '' }), (saved.balance / 100).toFixed(2));
    assert.match(await wsPost(again.url, { key, cf: code(999_999) }), /^OK\|/, 'the restored store takes new requests');
    assert.equal((await again.stop()).code, 0);
  });

  test('restore refuses what is not a cercapec store of this version, and leaves the store alone', { timeout: 60_000 }, async () => {
    const dir = await tmp();
    const dataDir = join(dir, 'data');
    const store = await openStore({ dataDir });
    await createAccount(store, Date.now(), { name: 'studio', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 100, creditLimitCents: null });
    await store.close();
    const good = join(dir, 'good.sqlite');
    await backupSqlite(dataDir, good);

    const text = join(dir, 'notes.txt');
    await writeFile(text, 'not a database at all, just some text that is long enough');
    const empty = join(dir, 'empty.sqlite');
    new BetterSqlite3(empty).exec('create table t (x)').close();
    const newer = join(dir, 'newer.sqlite');
    await copyFile(good, newer);
    new BetterSqlite3(newer).exec("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2099-01-01')").close();
    const damaged = join(dir, 'damaged.sqlite');
    const bytes = await readFile(good);
    bytes.fill(0xab, 4096, 4096 * 3);
    await writeFile(damaged, bytes);

    // In process for most (each CLI start costs seconds), through the CLI for one.
    for (const [file, message] of [
      [join(dir, 'missing.sqlite'), /no such file/],
      [empty, /is not a cercapec store \(missing kysely_migration, accounts/],
      [newer, /made by a newer cercapec \(unknown migrations: 9999-from-the-future\)/],
      [damaged, /damaged|not a cercapec store|malformed/],
    ] as const) {
      await assert.rejects(restoreSqlite(dataDir, file), (error: Error) => error instanceof StoreFileError && message.test(error.message), file);
    }
    const cli = await runCli(['restore', text, '--data', dataDir]);
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /^cercapec: .*notes\.txt is not an SQLite database/);
    assert.ok(!existsSync(join(dataDir, 'cercapec.sqlite.bak')), 'nothing replaced');
    assert.match((await cliOk(['accounts', 'list', '--data', dataDir])).stdout, /studio/);
  });

  test('PostgreSQL stores are pointed to pg_dump and pg_restore', async () => {
    const backup = await runCli(['backup', '/tmp/never-written.sqlite', '--database', 'postgres://nobody@127.0.0.1:1/none']);
    assert.equal(backup.code, 2);
    assert.match(backup.stderr, /PostgreSQL: back it up with pg_dump/);
    const restore = await runCli(['restore', '/tmp/never-read.sqlite', '--database', 'postgres://nobody@127.0.0.1:1/none']);
    assert.equal(restore.code, 2);
    assert.match(restore.stderr, /PostgreSQL: restore it with pg_restore/);
  });
});
