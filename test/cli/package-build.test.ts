import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isBuildFresh, STAMP } from '../../bin/launch.js';
import { COMMAND_MODULES } from '../../src/cli/command-modules.ts';
import { Command } from 'commander';
import { childEnv, delay, processSandbox, REPO_ROOT, wsGet, wsPost } from '../helpers/cli.ts';

const run = promisify(execFile);
const sandbox = processSandbox('package');

/** Sets a file's or folder's mtime to `at` seconds after the epoch (no waiting for clocks). */
function dated(path: string, at: number): void {
  utimesSync(path, at, at);
}

describe('isBuildFresh: dist/ is used only when no source changed since the build started', () => {
  async function project() {
    const root = await sandbox.tmpDir();
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'src/cli/main.ts'), '');
    writeFileSync(join(root, 'tsconfig.json'), '{}');
    for (const path of ['src/cli/main.ts', 'src/cli', 'src', 'tsconfig.json']) dated(join(root, path), 1000);
    return root;
  }
  const stamp = (root: string, at: number) => {
    writeFileSync(join(root, 'dist', STAMP), '');
    dated(join(root, 'dist', STAMP), at);
  };

  test('no stamp (never built, or the last build failed): stale', async () => {
    assert.equal(isBuildFresh(await project()), false);
  });

  test('built after every source change: fresh; built at the same instant: fresh', async () => {
    const root = await project();
    stamp(root, 2000);
    assert.equal(isBuildFresh(root), true);
    stamp(root, 1000);
    assert.equal(isBuildFresh(root), true);
  });

  test('a source edited after the build started: stale', async () => {
    const root = await project();
    stamp(root, 2000);
    dated(join(root, 'src/cli/main.ts'), 2001);
    assert.equal(isBuildFresh(root), false);
  });

  test('a file added or removed in a subfolder (the folder changes): stale', async () => {
    const root = await project();
    stamp(root, 2000);
    dated(join(root, 'src/cli'), 2001);
    assert.equal(isBuildFresh(root), false);
  });

  test('tsconfig.json changed after the build: stale', async () => {
    const root = await project();
    stamp(root, 2000);
    dated(join(root, 'tsconfig.json'), 2001);
    assert.equal(isBuildFresh(root), false);
  });
});

describe('command modules: the CLI loads one module for a known command', () => {
  test('each module registers exactly the names it is listed under, and no two share a name', async () => {
    const seen = new Set<string>();
    for (const module of COMMAND_MODULES) {
      const program = new Command('cercapec');
      (await module.load())(program);
      assert.deepEqual(
        program.commands.map((c) => c.name()),
        [...module.names],
      );
      for (const name of module.names) {
        assert.ok(!seen.has(name), `${name} listed twice`);
        seen.add(name);
      }
    }
  });
});

/**
 * The package as `npm install` lays it out: bin/, dist/, demo/ and package.json, no src/ (so the
 * bins must run dist/) and the repository's node_modules. dist/ is the repository's when it is a
 * build of the current sources, otherwise a build made here (about 30 s).
 */
async function installedLayout(): Promise<string> {
  const root = await sandbox.tmpDir();
  for (const path of ['bin', 'demo', 'package.json']) cpSync(join(REPO_ROOT, path), join(root, path), { recursive: true });
  if (isBuildFresh(REPO_ROOT)) cpSync(join(REPO_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  else await run(process.execPath, [join(REPO_ROOT, 'scripts/build.js'), '--out-dir', join(root, 'dist')], { cwd: REPO_ROOT });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  return root;
}

/**
 * A module for `node --import` that prints, on stderr, every package the process imports: how
 * the tests tell that a command did not load what it does not need, without timing it.
 */
function writeImportTrace(dir: string): string {
  writeFileSync(
    join(dir, 'trace-hooks.mjs'),
    `export async function resolve(specifier, context, next) {
  if (!/^([./]|node:|file:|data:)/.test(specifier)) process.stderr.write('imported ' + specifier + '\\n');
  return next(specifier, context);
}\n`,
  );
  writeFileSync(join(dir, 'trace.mjs'), `import { register } from 'node:module';\nregister('./trace-hooks.mjs', import.meta.url);\n`);
  return join(dir, 'trace.mjs');
}

/** Packages that the commands measured for start-up must not load (all cost ~0.1-0.6 s of CPU). */
const HEAVY = ['fastify', 'kysely', 'zod', 'exceljs', 'pg', 'better-sqlite3', 'undici', 'pino', 'tsx'];

describe('the built package', { timeout: 300_000 }, () => {
  let root: string;
  let trace: string;
  before(async () => {
    root = await installedLayout();
    trace = writeImportTrace(await sandbox.tmpDir());
  });

  async function bin(name: string, args: string[], nodeArgs: string[] = []) {
    try {
      const { stdout, stderr } = await run(process.execPath, [...nodeArgs, join(root, 'bin', name), ...args], { cwd: root, env: childEnv() });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw error;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }
  const packagesImported = (stderr: string) =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('imported '))
      .map((l) => l.slice('imported '.length).replace(/^(@[^/]+\/[^/]+|[^/]+).*$/, '$1'));

  test('cercapec validate runs from dist/ and answers as from the sources', async () => {
    const ok = await bin('cercapec.js', ['validate', '82003050109']);
    assert.deepEqual(ok, { code: 0, stdout: '82003050109\tvalid\tcf11\n', stderr: '' });
    const bad = await bin('cercapec.js', ['validate', '82003050108']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^82003050108\tinvalid\tcifra di controllo errata/);
  });

  test('cercapec validate and cercapec-client --help load no server, database or spreadsheet package', async () => {
    const validate = await bin('cercapec.js', ['validate', '82003050109'], ['--import', trace]);
    assert.equal(validate.code, 0, validate.stderr);
    const help = await bin('cercapec-client.js', ['--help'], ['--import', trace]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /lookup/);
    for (const result of [validate, help]) {
      const imported = packagesImported(result.stderr);
      assert.ok(imported.includes('commander'), `the trace saw nothing: ${result.stderr}`);
      assert.deepEqual(
        imported.filter((p) => HEAVY.includes(p)),
        [],
      );
    }
  });

  test('cercapec --help lists every command', async () => {
    const help = await bin('cercapec.js', ['--help']);
    assert.equal(help.code, 0);
    for (const name of COMMAND_MODULES.flatMap((m) => m.names)) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
  });

  test('serve --demo from dist/: pages, back-office assets, API docs and the demo data read from the package', async () => {
    const server = await sandbox.start({ dataDir: await sandbox.tmpDir(), root, args: ['--demo'], env: { CERCAPEC_RATE_LIMIT_PER_IP: '0' } });
    for (const path of [
      '/',
      '/en',
      '/index_post.html',
      '/style.css',
      '/admin/assets/admin.css',
      '/admin/assets/dashboard.js',
      '/admin/assets/uPlot.iife.min.js',
      '/docs/',
      '/openapi.json',
    ]) {
      const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(30_000) });
      assert.equal(response.status, 200, path);
      assert.ok((await response.text()).length > 0, path);
    }
    const key = 'cp_demo_chiave_di_prova_pubblica';
    const submitted = await wsPost(server.url, { key, cf: '82003050109' });
    assert.match(submitted, /^OK\|/);
    const token = submitted.slice(3);
    let answer = '';
    for (let i = 0; i < 300 && !answer.startsWith('OK|'); i++) {
      answer = await wsGet(server.url, { key, token });
      if (answer.startsWith('WAIT|')) await delay(100);
    }
    assert.equal(answer, 'OK|protocollo@pec.comune.rezzoaglio.ge.it|pec trovata');
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, server.output());
  });
});
