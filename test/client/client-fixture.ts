import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cf11CheckDigit, validateTaxId } from '../../src/taxid/index.ts';
import { openStore } from '../../src/store/store.ts';
import { childEnv, cliOk, IPA_SAMPLE, ipaSamplePecs, lastLine, REPO_ROOT, startServerProcess, type CliResult, type ServerProcess } from '../helpers/cli.ts';
import { seededRandom } from '../../src/seeded-random.ts';

/**
 * A real cercapec server for the client tests: a temp data dir, an account made with the CLI,
 * the IPA sample imported, rate limits off. The client runs as `node bin/cercapec-client.js`,
 * with HOME in the temp dir so a developer's own ~/.config/cercapec never leaks in.
 */
export interface ClientFixture {
  tmp: string;
  dataDir: string;
  server: ServerProcess;
  key: string;
  /** Env for a client child: server, key, HOME. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const SAMPLE = ipaSamplePecs();
const NO_LIMITS = { CERCAPEC_RATE_LIMIT_PER_KEY: '0', CERCAPEC_RATE_LIMIT_PER_IP: '0' };

export async function startClientFixture(name: string, serverEnv: Record<string, string> = {}): Promise<ClientFixture> {
  const tmp = await mkdtemp(join(tmpdir(), `cercapec-client-${name}-`));
  const dataDir = join(tmp, 'data');
  let key: string;
  let server: ServerProcess;
  try {
    const added = await cliOk([
      'accounts',
      'add',
      '--name',
      `client-${name}`,
      '--billing',
      'prepaid',
      '--price-cents',
      '1',
      '--credit-cents',
      '100000000',
      '--data',
      dataDir,
    ]);
    key = lastLine(added.stdout);
    await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', '--data', dataDir]);
    server = await startServerProcess({ dataDir, env: { ...NO_LIMITS, ...serverEnv } });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return {
    tmp,
    dataDir,
    server,
    key,
    // These suites speak the text protocol (the one any trovapec-compatible server has); the JSON
    // transport has its own suite.
    env: { CERCAPEC_SERVER: server.url, CERCAPEC_KEY: key, HOME: tmp, XDG_CONFIG_HOME: join(tmp, '.config'), CERCAPEC_PROTOCOL: 'text' },
    async close() {
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** `node bin/cercapec-client.js ...` as a child; drains its output; optional stdin text. */
export function spawnClient(
  args: string[],
  env: Record<string, string | undefined>,
  stdin?: string,
): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  const child = spawn(process.execPath, ['bin/cercapec-client.js', ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  if (stdin !== undefined) child.stdin!.end(stdin);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => `stdout:\n${stdout}\nstderr:\n${stderr}` };
}

/** Runs the client to its end (SIGKILL after timeoutMs, then rejects with its output). */
export async function runClient(
  args: string[],
  env: Record<string, string | undefined>,
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const run = spawnClient(args, env, options.stdin);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`client ${args.join(' ')} timed out after ${timeoutMs} ms\n${run.output()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function clientOk(
  args: string[],
  env: Record<string, string | undefined>,
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const result = await runClient(args, env, options);
  assert.equal(result.code, 0, `client ${args.join(' ')} exited with ${result.code ?? result.signal}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

/** Valid 11-digit codes the sample does not hold, many with leading zeros; seeded, so a failure replays. */
export function generatedCodes(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const out = new Set<string>();
  while (out.size < count) {
    // A third start with "00": the leading zeros a careless reader would drop.
    const matricola = String(1 + Math.floor(random() * (random() < 0.33 ? 99_999 : 9_999_999))).padStart(7, '0');
    const first10 = matricola + String(1 + Math.floor(random() * 100)).padStart(3, '0');
    const code = `${first10}${cf11CheckDigit(first10)}`;
    if (SAMPLE.has(code)) continue;
    const checked = validateTaxId(code);
    assert.ok(checked.valid && checked.code === code);
    out.add(code);
  }
  return [...out];
}

/** What the output must say for a valid code. */
export function expectedFor(code: string): { stato: string; pec: string } {
  const pecs = SAMPLE.get(code);
  return pecs ? { stato: 'trovata', pec: pecs[0] } : { stato: 'non trovata', pec: '' };
}

/** Requests in the server's store: live ones (not deleted) and deleted ones (cf-delete). */
export async function countRequests(dataDir: string): Promise<{ total: number; live: number; deleted: number; liveCodes: number }> {
  const store = await openStore({ dataDir, migrate: false });
  try {
    const rows = await store.db.selectFrom('requests').select(['code', 'deleted_at']).execute();
    const live = rows.filter((r) => r.deleted_at === null);
    return { total: rows.length, live: live.length, deleted: rows.length - live.length, liveCodes: new Set(live.map((r) => r.code)).size };
  } finally {
    await store.close();
  }
}

/** No stack trace anywhere in what a command printed. */
export function assertNoStack(result: CliResult): void {
  assert.ok(!/\n\s+at /.test(result.stderr), `stack trace on stderr:\n${result.stderr}`);
  assert.ok(!/\n\s+at /.test(result.stdout), `stack trace on stdout:\n${result.stdout}`);
}
