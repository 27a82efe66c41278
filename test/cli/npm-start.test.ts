import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { childEnv, delay, processSandbox, REPO_ROOT } from '../helpers/cli.ts';
import { exitWithNpm } from '../../src/cli/exit-with-npm.ts';

const sandbox = processSandbox('npm-start');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Issue #17 part 3, item 7: `npm start` runs the server as npm's grandchild (npm → sh -c → node);
 * stopping npm left the server running, holding the port and the data.
 */
for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`npm start: the server exits when npm is stopped with ${signal}`, { timeout: 180_000 }, async () => {
    const dir = await sandbox.tmpDir();
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: childEnv({ CERCAPEC_PORT: '0', CERCAPEC_DATA_DIR: join(dir, 'data'), CERCAPEC_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const started = new Promise<number>((resolve, reject) => {
      npm.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const pid = /"pid":(\d+)[^\n]*"msg":"cercapec started"/.exec(output)?.[1];
        if (pid) resolve(Number(pid));
      });
      npm.once('exit', () => reject(new Error(`npm start exited before the server started\n${output}`)));
    });
    const serverPid = await started;
    try {
      assert.notEqual(serverPid, npm.pid, 'the server is not npm itself');
      npm.kill(signal);
      // A second between looks at the parent, then a graceful close: 30 s is plenty.
      for (let i = 0; i < 300 && alive(serverPid); i++) await delay(100);
      assert.equal(alive(serverPid), false, `the server (pid ${serverPid}) outlived npm\n${output}`);
    } finally {
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  });
}

test('exitWithNpm: only for npm scripts; a changed parent or grandparent calls onGone once', async () => {
  let calls = 0;
  const stop = exitWithNpm({ env: {}, onGone: () => calls++, everyMs: 5, parentPid: () => 2, parentOf: () => 3 });
  let parent = 10;
  let grandparent: number | null = 20;
  const stopWatching = exitWithNpm({
    env: { npm_lifecycle_event: 'start' },
    onGone: () => calls++,
    everyMs: 5,
    parentPid: () => parent,
    parentOf: () => grandparent,
  });
  await delay(30);
  assert.equal(calls, 0, 'nothing changed');
  grandparent = 1; // npm died, its shell was adopted by init
  for (let i = 0; i < 100 && calls === 0; i++) await delay(5);
  assert.equal(calls, 1);
  parent = 1;
  await delay(30);
  assert.equal(calls, 1, 'once');
  stop();
  stopWatching();
});
