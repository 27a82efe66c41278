import { statSync, type Stats } from 'node:fs';

/**
 * Files that hold secrets (a client config with its key, a registries file with credentials,
 * a TLS key) must be readable by their owner only. `checkSecretFile` tells what is wrong with
 * one; `guardSecretFile` warns or refuses, for whoever reads such a file.
 *
 * POSIX modes only: on Windows (no group/other bits) nothing is reported.
 */
export interface FilePermissionProblem {
  path: string;
  /** The permission bits found, e.g. "0644". */
  mode: string;
  /** What is wrong, in English, naming the fix. */
  message: string;
}

export interface CheckOptions {
  /** For tests; default process.platform. */
  platform?: NodeJS.Platform;
  /** For tests; default process.getuid(). */
  uid?: number;
}

/**
 * null when the file is safe to read secrets from: a regular file (symlinks followed) that
 * neither its group nor others can read or write, owned by the user running the process (or
 * root). Otherwise the problem. A missing file throws, as reading it would.
 *
 * @example
 * const problem = checkSecretFile('/etc/cercapec/registries.json');
 * if (problem) logger.warn(problem, problem.message);
 */
export function checkSecretFile(path: string, options: CheckOptions = {}): FilePermissionProblem | null {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') return null;
  const stats = statSync(path);
  const mode = `0${(stats.mode & 0o777).toString(8).padStart(3, '0')}`;
  if (!stats.isFile()) return { path, mode, message: `${path} is not a regular file` };
  const open = stats.mode & 0o077;
  if (open) {
    const who = [open & 0o070 ? 'its group' : '', open & 0o007 ? 'other users' : ''].filter(Boolean).join(' and ');
    return { path, mode, message: `${path} holds secrets but ${who} can access it (mode ${mode}): run chmod 600 ${quote(path)}` };
  }
  const uid = options.uid ?? process.getuid?.();
  if (uid !== undefined && !ownedBy(stats, uid)) {
    return { path, mode, message: `${path} holds secrets but belongs to another user (uid ${stats.uid}, not ${uid})` };
  }
  return null;
}

export class UnsafeSecretFileError extends Error {
  constructor(readonly problem: FilePermissionProblem) {
    super(problem.message);
    this.name = 'UnsafeSecretFileError';
  }
}

/**
 * Checks a secrets file before it is read: `warn` (the default) logs the problem and goes on,
 * `refuse` throws UnsafeSecretFileError. Returns the problem, if any.
 */
export function guardSecretFile(
  path: string,
  mode: 'warn' | 'refuse',
  warn: (problem: FilePermissionProblem) => void,
  options: CheckOptions = {},
): FilePermissionProblem | null {
  const problem = checkSecretFile(path, options);
  if (!problem) return null;
  if (mode === 'refuse') throw new UnsafeSecretFileError(problem);
  warn(problem);
  return problem;
}

function ownedBy(stats: Stats, uid: number): boolean {
  return stats.uid === uid || stats.uid === 0;
}

function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
