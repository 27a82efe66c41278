import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync, mkdirSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { secretsEqual } from '../../src/security/constant-time.ts';
import { checkSecretFile, guardSecretFile, UnsafeSecretFileError } from '../../src/security/check-file-permissions.ts';
import { killAllChildren, REPO_ROOT, startServerProcess } from '../helpers/cli.ts';

/**
 * Secrets: compared in constant time (src/security/constant-time.ts, and no `===` on a secret
 * anywhere in src/), read only from files nobody else can read
 * (src/security/check-file-permissions.ts).
 */

const dir = mkdtempSync(join(tmpdir(), 'cercapec-secrets-'));
after(async () => {
  await killAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

test('secretsEqual: equal secrets match, anything else does not, whatever the lengths', () => {
  assert.equal(secretsEqual('whsec_abc', 'whsec_abc'), true);
  assert.equal(secretsEqual(Buffer.from('k'), 'k'), true);
  for (const given of ['whsec_abd', 'whsec_ab', 'whsec_abcd', '', 'WHSEC_ABC', null, undefined]) {
    assert.equal(secretsEqual(given, 'whsec_abc'), false, String(given));
  }
  assert.equal(secretsEqual('', ''), false, 'an unset secret never matches');
  assert.equal(secretsEqual(undefined, ''), false);
});

// That it takes the same time for a near miss, a far miss and a wrong length is timed by
// `npm run bench -- constant-time`, not here: no assertion on elapsed time in the suite.

/** Identifiers that hold secrets compared with === or !== (lengths, types, null checks and paths are fine). */
const SECRET_COMPARISON =
  /(\b[\w.]*(secret|signature|csrf|password|passwd|token|authorization)\w*\b(\(\))?\s*[!=]==?\s*[^=\s])|([!=]==?\s*[\w.]*(secret|signature|csrf|password|passwd|token|authorization)\w*\b)/i;
const HARMLESS =
  /(\.length|typeof|null|undefined|\w*(Path|Url|Count|Kind|Type|Name|Id|Hint|ShownAt|_shown_at|Expires\w*|At)\b\s*[!=]==|[!=]==\s*['"]|[!=]==\s*`[^$`]*`|[!=]==\s*[\w.]*(Path|Url)\b)/;

test('no secret is compared with === or !== anywhere in src/', () => {
  const offenders: string[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const code = line.replace(/\/\/.*$/, '');
            if (SECRET_COMPARISON.test(code) && !HARMLESS.test(code)) offenders.push(`${relative(REPO_ROOT, path)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  walk(join(REPO_ROOT, 'src'));
  assert.deepEqual(offenders, [], 'compare secrets with secretsEqual (src/security/constant-time.ts)');
});

test('checkSecretFile: owner-only files pass; group or world access, other owners and non-files are reported', () => {
  const file = join(dir, 'registries.json');
  writeFileSync(file, '{"token":"s3cret"}');
  chmodSync(file, 0o600);
  assert.equal(checkSecretFile(file), null);
  chmodSync(file, 0o400);
  assert.equal(checkSecretFile(file), null);

  for (const [mode, who] of [
    [0o640, 'its group'],
    [0o604, 'other users'],
    [0o644, 'its group and other users'],
    [0o660, 'its group'],
    [0o602, 'other users'],
  ] as const) {
    chmodSync(file, mode);
    const problem = checkSecretFile(file);
    assert.ok(problem, `mode ${mode.toString(8)}`);
    assert.equal(problem.mode, `0${mode.toString(8)}`);
    assert.ok(problem.message.includes(`${who} can access it`), problem.message);
    assert.match(problem.message, /chmod 600 /);
  }

  chmodSync(file, 0o600);
  const link = join(dir, 'link.json');
  symlinkSync(file, link);
  assert.equal(checkSecretFile(link), null, 'a symlink is judged by its target');
  mkdirSync(join(dir, 'folder'), { mode: 0o700 });
  assert.match(checkSecretFile(join(dir, 'folder'))!.message, /not a regular file/);
  assert.throws(() => checkSecretFile(join(dir, 'missing.json')), /ENOENT/);

  assert.match(checkSecretFile(file, { uid: 12345 })?.message ?? '', process.getuid?.() === 0 ? /^$/ : /belongs to another user/);
  if (process.getuid?.() === 0) {
    chownSync(file, 4242, 4242);
    assert.match(checkSecretFile(file, { uid: 12345 })!.message, /belongs to another user \(uid 4242, not 12345\)/);
    chownSync(file, 0, 0);
  }
  assert.equal(checkSecretFile(file, { platform: 'win32' }), null, 'no POSIX modes on Windows');
});

test('guardSecretFile warns or refuses', () => {
  const file = join(dir, 'client.json');
  writeFileSync(file, '{"key":"cp_x"}');
  chmodSync(file, 0o644);
  const warned: string[] = [];
  assert.ok(guardSecretFile(file, 'warn', (p) => warned.push(p.message)));
  assert.equal(warned.length, 1);
  assert.throws(() => guardSecretFile(file, 'refuse', () => {}), UnsafeSecretFileError);
  chmodSync(file, 0o600);
  assert.equal(
    guardSecretFile(file, 'refuse', () => assert.fail('no warning')),
    null,
  );
});

test('cercapec serve warns when its registries file (which may hold credentials) is readable by others', { timeout: 60_000 }, async () => {
  const file = join(dir, 'registries.json');
  writeFileSync(file, JSON.stringify({ routing: { cf11: ['directory'], cf16: ['directory'] } }));
  for (const [mode, warned] of [
    [0o644, true],
    [0o600, false],
  ] as const) {
    chmodSync(file, mode);
    const server = await startServerProcess({ dataDir: join(dir, `data-${mode.toString(8)}`), env: { CERCAPEC_REGISTRIES_FILE: file } });
    const output = server.output();
    await server.stop();
    const warning = output.split('\n').find((l) => l.includes('holds secrets'));
    assert.equal(Boolean(warning), warned, `mode ${mode.toString(8)}: ${warning ?? 'no warning'}`);
    if (warning) {
      assert.match(warning, /"level":40/);
      assert.match(warning, /its group and other users can access it \(mode 0644\): run chmod 600/);
    }
  }
});
