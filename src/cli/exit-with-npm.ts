import { readFileSync } from 'node:fs';

export interface ExitWithNpmOptions {
  env: NodeJS.ProcessEnv;
  /** Called once, when npm (or the shell it started the server with) is gone. */
  onGone(): void;
  everyMs?: number;
  /** For tests; default process.ppid. */
  parentPid?: () => number;
  /** The parent of a process, or null when it cannot be read (no /proc: macOS) or it has exited. */
  parentOf?: (pid: number) => number | null;
}

/**
 * `npm start` runs `sh -c "node bin/cercapec.js serve --demo"`, so the server is npm's
 * grandchild. Stopped with SIGTERM, npm takes its shell down but not the server, which keeps
 * the port and the SQLite file (issue #17); killed with SIGKILL it leaves both. A server started
 * by an npm script (npm sets npm_lifecycle_event) therefore looks every second whether its
 * parent or its parent's parent changed (an orphan is adopted by init or a subreaper) and then
 * calls `onGone`, which shuts it down as SIGTERM would. Other launches are left alone: a server
 * started with nohup from a shell that then exits is meant to stay up.
 *
 * Returns a function that stops watching.
 */
export function exitWithNpm(o: ExitWithNpmOptions): () => void {
  if (!o.env.npm_lifecycle_event) return () => {};
  const parentPid = o.parentPid ?? (() => process.ppid);
  const parentOf = o.parentOf ?? procParentOf;
  const parent = parentPid();
  const grandparent = parentOf(parent);
  const timer = setInterval(() => {
    const gone = parentPid() !== parent || (grandparent !== null && parentOf(parent) !== grandparent);
    if (!gone) return;
    clearInterval(timer);
    o.onGone();
  }, o.everyMs ?? 1_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Field 4 of /proc/<pid>/stat; the command (field 2) may hold spaces and parentheses, so read after its last ")". */
function procParentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}
