#!/usr/bin/env node
// Runs every test file through node:test with tsx. Node 20's `--test dir/` finds no .ts
// files, so the list is built here. Optional filter: `npm test -- queue` runs the files whose
// path contains "queue".
//
// Files run in two groups, one after the other:
// - shared: files run CONCURRENCY at a time (CERCAPEC_TEST_CONCURRENCY, default 2: the
//   development machine has 2 cores). Every test store has its own schema or file and every
//   server listens on port 0, so files do not see each other.
// - alone: files that measure memory, drive a browser or kill and restart whole deployments,
//   one at a time: they would measure, or time out on, their neighbours' load.
//
// The output is node:test's TAP with one plan and one summary for the whole run (each group's
// own `1..N` and `# pass` lines are dropped, top-level tests are numbered across groups), then a
// line `N passed, N failed, N skipped`. Before it, the 15 slowest files (the time of their tests,
// from scripts/file-durations-reporter.js). The exit code is non-zero if anything failed.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

/** Files that run alone (paths relative to the repository, as substrings). */
const ALONE = ['test/e2e/', 'test/hardening/batch-sigkill.test.ts', 'test/batches/batch-memory.test.ts', '.browser.test.ts'];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const concurrency = Number(process.env.CERCAPEC_TEST_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`CERCAPEC_TEST_CONCURRENCY must be a whole number >= 1, not ${process.env.CERCAPEC_TEST_CONCURRENCY}`);
  process.exit(2);
}
const alone = (f) => ALONE.some((pattern) => f.includes(pattern));
const groups = [
  { name: 'shared', concurrency, files: files.filter((f) => !alone(f)) },
  { name: 'alone', concurrency: 1, files: files.filter(alone) },
].filter((g) => g.files.length > 0);

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const total = Object.fromEntries(COUNTS.map((k) => [k, 0]));
let numbered = 0;
let failedGroups = 0;
const started = Date.now();
const durationsDir = mkdtempSync(join(tmpdir(), 'cercapec-test-durations-'));
console.log('TAP version 13');

/** Runs one group, passing its TAP through with the plan, summary and numbering made global. */
function run(group) {
  return new Promise((resolve) => {
    console.log(`# group ${group.name}: ${group.files.length} files, ${group.concurrency} at a time`);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${group.concurrency}`,
        '--test-reporter=tap',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(root, 'scripts/file-durations-reporter.js')}`,
        `--test-reporter-destination=${join(durationsDir, `${group.name}.jsonl`)}`,
        ...group.files,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const seen = Object.fromEntries(COUNTS.map((k) => [k, 0]));
    let summarised = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'TAP version 13' || /^1\.\.\d+$/.test(line)) return;
      const count = /^# (\w+) (\d+)$/.exec(line);
      if (count && COUNTS.includes(count[1])) {
        seen[count[1]] = Number(count[2]);
        summarised = true;
        return;
      }
      if (/^# duration_ms [\d.]+$/.test(line)) return;
      const top = /^(not ok|ok) \d+( - .*)?$/.exec(line);
      if (top) return console.log(`${top[1]} ${++numbered}${top[2] ?? ''}`);
      console.log(line);
    });
    child.on('close', (code, signal) => {
      for (const k of COUNTS) total[k] += seen[k];
      // A runner that died without its summary (a crash, a signal) fails the run all the same.
      if (code !== 0 || !summarised) {
        failedGroups++;
        if (!summarised) console.log(`# group ${group.name} ended (${code ?? signal}) without a summary`);
      }
      resolve();
    });
  });
}

for (const group of groups) await run(group);

const perFile = new Map();
for (const group of groups) {
  let text = '';
  try {
    text = readFileSync(join(durationsDir, `${group.name}.jsonl`), 'utf8');
  } catch {}
  for (const line of text.split('\n').filter(Boolean)) {
    const { file, ms } = JSON.parse(line);
    // Suites registered by a helper (eachDialect) carry the helper's path, not their file's.
    const name = file?.endsWith('test/helpers/stores.ts') ? 'storage suites (eachDialect), all files' : relative(root, file ?? '?');
    perFile.set(name, (perFile.get(name) ?? 0) + ms);
  }
}
rmSync(durationsDir, { recursive: true, force: true });
console.log('# slowest files (seconds of their tests):');
for (const [file, ms] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`#   ${(ms / 1000).toFixed(1).padStart(7)}  ${file}`);
console.log(`1..${numbered}`);
for (const k of COUNTS) console.log(`# ${k} ${total[k]}`);
console.log(`# duration_ms ${Date.now() - started}`);
const failed = total.fail + total.cancelled;
console.log(`${total.pass} passed, ${failed} failed, ${total.skipped} skipped`);
process.exit(failed > 0 || failedGroups > 0 ? 1 : 0);
