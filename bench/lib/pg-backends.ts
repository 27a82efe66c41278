import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import pg from 'pg';
import { cpuMicros } from './processes.ts';

/**
 * The PostgreSQL backends serving one local process's connections, found by its sockets: the
 * local ports of its TCP connections to the server's port (/proc/<pid>/fd and /proc/net/tcp),
 * then pg_stat_activity.client_port. Linux only (empty elsewhere); the backends' CPU is then
 * readable in /proc when the bench runs as root or as the postgres user.
 */
export async function backendPids(pid: number, url: string): Promise<number[]> {
  const serverPort = Number(new URL(url).port || 5432);
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = safeReadlink(`/proc/${pid}/fd/${fd}`);
      const m = target?.match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1]);
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9])) continue;
      const local = Number.parseInt(f[1].split(':')[1], 16);
      const remote = Number.parseInt(f[2].split(':')[1], 16);
      if (remote === serverPort) ports.push(local);
    }
  }
  if (ports.length === 0) return [];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where client_port = any($1::int[])', [ports]);
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

/** CPU (µs) each of these backends has used so far; those gone or unreadable are left out. */
export function backendCpu(pids: readonly number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    const us = cpuMicros(pid);
    if (us !== null) cpu.set(pid, us);
  }
  return cpu;
}

function safeReadlink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
