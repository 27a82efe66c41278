import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { TEST_PASSWORD_HASH_COST } from './password-cost.ts';

/**
 * The `cercapec` CLI and `cercapec serve` as real child processes, the way operators run them:
 * `node bin/cercapec.js ...` from the repository root. Every child is tracked and killed when
 * the test process ends, whatever happened to the test that started it.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const IPA_SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Killed with SIGKILL after this long; the promise then rejects with what was printed. */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** The package to run bin/cercapec.js of (default: this repository). */
  root?: string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The environment of a child: the parent's minus every CERCAPEC_* variable (a developer's own
 * settings must not leak into the tests) and minus the test runner's markers, plus the cheap
 * password hashing of the tests (TEST_PASSWORD_HASH_COST), plus `extra`.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('CERCAPEC_') || name === 'NODE_TEST_CONTEXT') continue;
    env[name] = value;
  }
  env.CERCAPEC_PASSWORD_HASH_COST = String(TEST_PASSWORD_HASH_COST);
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

function spawnCli(args: string[], env: Record<string, string | undefined>, input?: string, root = REPO_ROOT): ChildProcess {
  const child = spawn(process.execPath, ['bin/cercapec.js', ...args], {
    cwd: root,
    env: childEnv(env),
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin!.end(input);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs one CLI command to its end. Resolves with the exit code whatever it is. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options.env ?? {}, options.input, options.root);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': the output streams are complete only then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`cercapec ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
  });
}

/** Runs a command that must succeed; the error message carries its output otherwise. */
export async function cliOk(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await runCli(args, options);
  if (result.code !== 0) {
    throw new Error(`cercapec ${args.join(' ')} exited with ${result.code ?? result.signal}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}

/** The last non-empty line of an output. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

export interface ServerProcess {
  /** http://127.0.0.1:<port>, as the server logged it; '' for a worker-only process. */
  url: string;
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr interleaved), for diagnostics. */
  output(): string;
  /** Sends a signal and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (a graceful shutdown), SIGKILL if it has not exited after graceMs. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartServerOptions {
  dataDir: string;
  env?: Record<string, string | undefined>;
  /** Extra arguments after `serve --port 0 --data <dataDir>`. */
  args?: string[];
  /** How long to wait for the "cercapec started" line. */
  startTimeoutMs?: number;
  /** The package to run bin/cercapec.js of (default: this repository). */
  root?: string;
}

/**
 * Starts `cercapec serve --port 0` and resolves once its "cercapec started" JSON log line has
 * told the URL. Output is drained for the whole life of the process (a full pipe would block
 * the server). Rejects, and kills the process, when it exits or stays silent before that.
 */
export function startServerProcess(options: StartServerOptions): Promise<ServerProcess> {
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawnCli(
    ['serve', '--port', '0', '--data', options.dataDir, ...(options.args ?? [])],
    { CERCAPEC_LOG_LEVEL: 'info', ...options.env },
    undefined,
    options.root,
  );
  const MAX_LOG = 256 * 1024;
  let log = '';
  const append = (text: string) => {
    log += text;
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    let pending = '';
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`cercapec serve ${why}\noutput:\n${log}`));
    };
    const timer = setTimeout(() => fail(`did not report its URL within ${timeoutMs} ms`), timeoutMs);

    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      append(chunk);
      if (settled) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const url = startedUrl(line);
        if (url === null) continue;
        settled = true;
        clearTimeout(timer);
        pending = '';
        resolve(serverHandle(url));
        return;
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => append(chunk));
    child.once('error', (error) => fail(`could not be started: ${error.message}`));
    void exited.then(({ code, signal }) => fail(`exited (${code ?? signal}) before reporting its URL`));
  });

  function serverHandle(url: string): ServerProcess {
    const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    };
    return {
      url,
      child,
      output: () => log,
      kill,
      async stop(graceMs = 15_000) {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await kill('SIGTERM');
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }
}

function startedUrl(line: string): string | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const entry = JSON.parse(text) as { msg?: unknown; url?: unknown };
    // A worker-only process listens on nothing: its URL is '' (it logs url: null).
    if (entry.msg !== 'cercapec started') return null;
    return typeof entry.url === 'string' ? entry.url : '';
  } catch {
    return null;
  }
}

/** Kills every child still running (for after() hooks; the exit handler does it anyway). */
export async function killAllChildren(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

export interface ProcessSandbox {
  /** A new empty folder under the system's tmp, removed after the file's tests. */
  tmpDir(): Promise<string>;
  /** `cercapec serve` as startServerProcess, SIGKILLed after the file's tests if still running. */
  start(options: StartServerOptions): Promise<ServerProcess>;
}

/**
 * The folders and server processes a test file starts, all cleaned up by one after() hook:
 * servers first (a live server holds its data folder open), then every other child, then the
 * folders. Call once at the top level of a test file.
 */
export function processSandbox(prefix: string): ProcessSandbox {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await killAllChildren();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    async tmpDir() {
      const dir = await mkdtemp(join(tmpdir(), `cercapec-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    async start(options) {
      const server = await startServerProcess(options);
      servers.push(server);
      return server;
    },
  };
}

// --- the text protocol, as a client speaks it ---------------------------------------------

/** POST /index_ws.php with form fields; resolves with the answer line. */
export async function wsPost(baseUrl: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(`${baseUrl}/index_ws.php`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    signal: AbortSignal.timeout(30_000),
  });
  return (await response.text()).trim();
}

/** GET /index_ws.php?...; resolves with the answer line. */
export async function wsGet(baseUrl: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(`${baseUrl}/index_ws.php?${new URLSearchParams(fields)}`, { signal: AbortSignal.timeout(30_000) });
  return (await response.text()).trim();
}

// --- the IPA sample, read independently of the importer ----------------------------------

/**
 * The codes of demo/enti-sample-comuni.csv with their PEC addresses in file order (the MailN
 * whose Tipo_MailN is "Pec", domain lower-cased, duplicates dropped), as lookups answer them.
 */
export function ipaSamplePecs(): Map<string, string[]> {
  const rows = parse(readFileSync(IPA_SAMPLE), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
  const out = new Map<string, string[]>();
  for (const row of rows) {
    const pecs: string[] = [];
    for (let n = 1; n <= 5; n++) {
      if ((row[`Tipo_Mail${n}`] ?? '').trim().toLowerCase() !== 'pec') continue;
      const mail = (row[`Mail${n}`] ?? '').trim();
      const at = mail.lastIndexOf('@');
      const pec = `${mail.slice(0, at)}@${mail.slice(at + 1).toLowerCase()}`;
      if (!pecs.some((p) => p.toLowerCase() === pec.toLowerCase())) pecs.push(pec);
    }
    out.set(row.Codice_fiscale_ente.trim(), [...(out.get(row.Codice_fiscale_ente.trim()) ?? []), ...pecs]);
  }
  return out;
}

/** Waits ms milliseconds (between polling rounds; never used to assert timing). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
