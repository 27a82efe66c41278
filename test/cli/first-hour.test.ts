import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnv, processSandbox, REPO_ROOT } from '../helpers/cli.ts';
import { DEMO_KEY } from '../../src/demo.ts';

const sandbox = processSandbox('first-hour');
const TIMEOUT = { timeout: 180_000 };

/** `cercapec <args>` run in `cwd` (the README's flow works in the user's folder), to its end or until `until` is printed. */
function cercapecIn(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  until?: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/cercapec.js'), ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cercapec ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, 90_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Issue #17 part 3, items 2 and 3: the README's registries flow, from a clean folder. */
test('standins --write-config writes registries.json 0600; registries status finds it the README way and points at an unused one', TIMEOUT, async () => {
  const dir = await sandbox.tmpDir();
  const data = join(dir, 'data');
  const written = await cercapecIn(dir, ['standins', '--write-config', 'registries.json'], {}, /npx cercapec serve --demo/);
  assert.match(written.stdout, /export CERCAPEC_REGISTRIES_FILE=registries\.json/);
  assert.equal((await stat(join(dir, 'registries.json'))).mode & 0o777, 0o600);

  // Without the variable: "none", and a pointer at the file lying in the folder.
  const bare = await cercapecIn(dir, ['registries', 'status', '--data', data]);
  assert.equal(bare.code, 0, bare.stderr);
  assert.match(
    bare.stdout,
    /registries file: none \(the local directory only\); \.\/registries\.json is here but not in use: pass --registries registries\.json or export CERCAPEC_REGISTRIES_FILE=registries\.json/,
  );

  // As the README now says: exported, so status reads it as serve does.
  const exported = await cercapecIn(dir, ['registries', 'status', '--data', data], { CERCAPEC_REGISTRIES_FILE: 'registries.json' });
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^registries file: registries\.json$/m);
  for (const source of ['ipa-mirror', 'ipa-ws23', 'inipec', 'inad', 'openapi'])
    assert.match(exported.stdout, new RegExp(`^${source} +enabled`, 'm'), exported.stdout);
});

test('serve warns once, not twice, about a registries file others can read', TIMEOUT, async () => {
  const dir = await sandbox.tmpDir();
  await cercapecIn(dir, ['standins', '--write-config', 'registries.json'], {}, /npx cercapec serve --demo/);
  const file = join(dir, 'registries.json');
  await chmod(file, 0o644);
  const server = await sandbox.start({ dataDir: join(dir, 'data'), env: { CERCAPEC_REGISTRIES_FILE: file } });
  await server.stop();
  const warnings = server
    .output()
    .split('\n')
    .filter((line) => line.includes('holds secrets'));
  assert.equal(warnings.length, 1, server.output());
});

/** Issue #17 part 3, item 4: the README's JSON API example shows what the demo really answers. */
test("the README's POST /v1/lookups example matches the demo's answer", TIMEOUT, async () => {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## JSON API'));
  const request = /-d '(\{"code":"\d+"\})' http:\/\/127\.0\.0\.1:8080\/v1\/lookups/.exec(section);
  // The answer as the README prints it: comment lines after the request, one JSON object wrapped.
  const answerLines = section.slice(section.indexOf('\n# ', request?.index ?? 0) + 1).split('\n');
  const answer = answerLines
    .slice(
      0,
      answerLines.findIndex((line) => !line.startsWith('#')),
    )
    .map((line) => line.replace(/^#\s*/, ''))
    .join('');
  const shown = /^(\d{3}) \{.*?"status":"(\w+)"(?:,"pec":(null|"[^"]*"))/.exec(answer);
  assert.ok(request && shown, 'the example and its answer are in the README');
  const dir = await sandbox.tmpDir();
  const server = await sandbox.start({ dataDir: join(dir, 'data'), args: ['--demo'] });
  const response = await fetch(`${server.url}/v1/lookups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json', 'idempotency-key': '6f1c-readme' },
    body: request[1],
  });
  const body = (await response.json()) as { status: string; pec: string | null };
  assert.deepEqual([String(response.status), body.status, body.pec], [shown[1], shown[2], JSON.parse(shown[3])]);
});
