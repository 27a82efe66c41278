import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Starts a process that serves HTTP on `port` and resolves when `readyPath` answers. */
export async function startHttpProcess(args: string[], port: number, env: Record<string, string> = {}, readyPath = '/healthz'): Promise<Child> {
  // BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the server under the bench's load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`process exited: ${stderr}`);
    try {
      const r = await fetch(url + readyPath);
      if (r.status < 500) break;
    } catch {}
    if (i > 300) throw new Error(`process did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: () => stopChild(child),
  };
}

/** SIGTERM (a graceful close), SIGKILL if it has not exited after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  live.delete(child);
}

/** Runs a node script to completion and parses the JSON it prints last. */
export async function runJsonProcess<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  live.delete(child);
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}): ${err}`);
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

/** A data dir with an account (postpaid, price 0: the bench measures the service, not billing refusals). */
export async function prepareDataDir(dataDir: string, extra: string[][] = []): Promise<string> {
  const run = (args: string[]) => runText(['bin/cercapec.js', ...args, '--data', dataDir]);
  const added = await run(['accounts', 'add', '--name', 'bench', '--billing', 'postpaid', '--price-cents', '0']);
  for (const args of extra) await run(args);
  return added.trim().split('\n').pop()!;
}

export async function runText(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}): ${err}`);
  return out;
}

export const SERVER_ENV = {
  CERCAPEC_RATE_LIMIT_PER_KEY: '0',
  CERCAPEC_RATE_LIMIT_PER_IP: '0',
  CERCAPEC_LOG_LEVEL: 'warn',
};

/** Starts a process that listens on nothing (a worker); stop() ends it gracefully. */
export function startProcess(args: string[], env: Record<string, string> = {}): { pid: number; stop(): Promise<void> } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: process.env.BENCH_DEBUG ? ['ignore', 'inherit', 'inherit'] : 'ignore',
  });
  live.add(child);
  return {
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/**
 * CPU time (user + system, µs) a process has used so far, from /proc (Linux); null elsewhere.
 * CPU per request is steadier than requests per second on a shared machine: others' load
 * takes cores away from the server, but barely changes what each request costs it.
 */
export function cpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** sysconf(_SC_CLK_TCK): 100 on Linux for every architecture Node supports. */
const CLOCK_TICKS = 100;
