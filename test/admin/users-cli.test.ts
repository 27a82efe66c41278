/**
 * `cercapec users ...` as a real child process: the first admin from the command line (the
 * password from stdin, never from argv), list, passwd, disable; and the account and key
 * commands leave audit rows with the actor "cli".
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, cliOk, lastLine, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.ts';
import { openStore } from '../../src/store/store.ts';
import { login } from '../../src/users/login.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { generate } from 'otplib';
import { findUser } from '../../src/users/users.ts';
import { confirmTotp, startTotp } from '../../src/users/totp-enrolment.ts';

const policy = { session: { idleMs: 60_000, maxMs: 3_600_000 }, throttle: { failures: 5, windowMs: 60_000 } };

/** Runs the CLI with `input` on stdin (a pipe: not a terminal). */
function runWithStdin(args: string[], input: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/cercapec.js', ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('cercapec users', { timeout: 180_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cercapec-users-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('add the first admin from stdin, list, change the password, disable', async () => {
    const added = await runWithStdin(['users', 'add', 'Anna', '--role', 'admin', '--password-stdin', '--data', dir], 'prima-password-lunga\n');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /user anna \(admin\) created/);
    assert.ok(!added.stdout.includes('prima-password-lunga') && !added.stderr.includes('prima-password-lunga'));
    // A pipe is not a terminal: stdin is read even without --password-stdin.
    assert.equal((await runWithStdin(['users', 'add', 'otto', '--role', 'operator', '--data', dir], 'password-operatore\n')).code, 0);

    const refused = await runWithStdin(['users', 'add', 'bruno', '--role', 'boss', '--password-stdin', '--data', dir], 'password-lunga-ok\n');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--role must be admin, operator or customer/);
    const short = await runWithStdin(['users', 'add', 'bruno', '--role', 'operator', '--data', dir], 'corta\n');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 10 characters/);
    assert.ok(!short.stderr.includes('    at '), 'no stack trace');

    const list = await cliOk(['users', 'list', '--data', dir]);
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t').slice(0, 3)),
      [
        ['username', 'role', 'status'],
        ['anna', 'admin', 'active'],
        ['otto', 'operator', 'active'],
      ],
    );

    assert.equal(
      (await runWithStdin(['users', 'passwd', 'anna', '--password-stdin', '--data', dir], 'seconda-password-lunga\n', { CERCAPEC_PASSWORD_HASH_COST: '11' }))
        .code,
      0,
    );
    await cliOk(['users', 'disable', 'otto', '--data', dir]);
    const store = await openStore({ dataDir: dir });
    try {
      const now = Date.now();
      // The hashing cost comes from CERCAPEC_PASSWORD_HASH_COST: the tests' 10, then 11 for passwd.
      const hashes = await store.db.selectFrom('users').select(['username', 'password_hash']).orderBy('username').execute();
      assert.deepEqual(
        hashes.map((u) => [u.username, u.password_hash.split('$')[1]]),
        [
          ['anna', '2048'],
          ['otto', '1024'],
        ],
      );
      assert.equal((await login(store, { username: 'anna', password: 'prima-password-lunga', address: '127.0.0.1', now }, policy)).ok, false);
      assert.equal((await login(store, { username: 'anna', password: 'seconda-password-lunga', address: '127.0.0.1', now }, policy)).ok, true);
      assert.equal((await login(store, { username: 'otto', password: 'password-operatore', address: '127.0.0.1', now }, policy)).ok, false);
      const actions = (await listAudit(store.db, { actor: 'cli' })).map((r) => r.action).sort();
      assert.deepEqual(actions, ['user.create', 'user.create', 'user.disable', 'user.passwd']);
    } finally {
      await store.close();
    }
  });

  test('totp-reset lets an admin locked out of their second factor log in with the password again', async () => {
    const totpDir = await mkdtemp(join(tmpdir(), 'cercapec-totp-'));
    try {
      assert.equal((await runWithStdin(['users', 'add', 'carla', '--role', 'admin', '--data', totpDir], 'password-di-carla\n')).code, 0);
      let store = await openStore({ dataDir: totpDir });
      try {
        const carla = (await findUser(store, 'carla'))!;
        const now = Date.now();
        const secret = await startTotp(store, carla, now);
        assert.ok(await confirmTotp(store, carla, await generate({ secret, epoch: Math.floor(now / 1000) }), now, { actor: 'user:carla' }));
        const asked = await login(store, { username: 'carla', password: 'password-di-carla', address: '127.0.0.1', now }, policy);
        assert.equal(!asked.ok && asked.reason, 'second-factor');
      } finally {
        await store.close();
      }
      const reset = await cliOk(['users', 'totp-reset', 'carla', '--data', totpDir]);
      assert.match(reset.stdout, /second factor of carla reset/);
      assert.match((await cliOk(['users', 'totp-reset', 'carla', '--data', totpDir])).stdout, /carla had no second factor/);
      const unknown = await runCli(['users', 'totp-reset', 'nessuno', '--data', totpDir]);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /no user "nessuno"/);
      store = await openStore({ dataDir: totpDir });
      try {
        assert.equal((await login(store, { username: 'carla', password: 'password-di-carla', address: '127.0.0.1', now: Date.now() }, policy)).ok, true);
        const [audit] = await listAudit(store.db, { action: 'user.totp_reset' });
        assert.equal(audit.actor, 'cli');
      } finally {
        await store.close();
      }
    } finally {
      await rm(totpDir, { recursive: true, force: true });
    }
  });

  test('account and key commands are audited with the actor "cli"', async () => {
    const added = await cliOk([
      'accounts',
      'add',
      '--name',
      'Studio Rossi',
      '--billing',
      'prepaid',
      '--price-cents',
      '10',
      '--credit-cents',
      '100',
      '--data',
      dir,
    ]);
    const key = lastLine(added.stdout);
    await cliOk(['accounts', 'topup', 'Studio Rossi', '250', '--reason', 'bonifico', '--data', dir]);
    const second = await cliOk(['keys', 'add', 'Studio Rossi', '--label', 'gestionale', '--data', dir]);
    const keyId = /^key (key_\S+)/m.exec(second.stdout)![1];
    await cliOk(['keys', 'revoke', keyId, '--data', dir]);
    const store = await openStore({ dataDir: dir });
    try {
      const rows = (await listAudit(store.db, { actor: 'cli' })).filter((r) => !r.action.startsWith('user.')).reverse();
      assert.deepEqual(
        rows.map((r) => r.action),
        ['account.create', 'key.create', 'ledger.topup', 'key.create', 'key.revoke'],
      );
      assert.deepEqual(rows[2].after, { balance_cents: 350, amount_cents: 250, reason: 'bonifico' });
      assert.ok(!JSON.stringify(rows).includes(key), 'the key itself is never recorded');
    } finally {
      await store.close();
    }
  });
});
