import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sleep } from './backoff.ts';
import { isServerProblem } from './client-error.ts';
import { fileFormatOf } from './file-format.ts';
import type { BatchSummary } from './run-batch.ts';

export interface WatchOptions {
  folder: string;
  /** How often `in/` is listed. */
  scanEveryMs: number;
  /** A file is taken once its size and mtime have not changed for this long (a copy has finished). */
  settleMs: number;
  /** Pause before trying a file again when the server, not the file, was the problem. */
  serverRetryMs: number;
}

export interface WatchDeps {
  /** `client batch` for one file; its state file lives in `.state/` while the file is worked on. */
  batch(input: string, output: string, statePath: string): Promise<BatchSummary>;
  log: (line: string) => void;
  sleep: Sleep;
  now: () => number;
  signal: AbortSignal;
}

/**
 * A hot folder: files dropped into `in/` are processed one at a time, like `batch`, into `out/`
 * under the same name. Afterwards the input moves to `done/`; a file that cannot be processed
 * moves to `errors/` beside `<name>.error.txt`. When the server is the problem (unreachable,
 * key refused) the file stays in `in/` and is tried again later: it is not the file's fault.
 * Runs until the signal aborts; an interrupted file resumes from its state on the next start.
 */
export async function watchFolder(deps: WatchDeps, options: WatchOptions): Promise<void> {
  const dir = (name: string) => join(options.folder, name);
  for (const name of ['in', 'out', 'errors', 'done', '.state']) await mkdir(dir(name), { recursive: true });
  deps.log(`watch: watching ${dir('in')}`);
  const seen = new Map<string, { size: number; mtimeMs: number; since: number }>();

  while (!deps.signal.aborted) {
    for (const name of await stableFiles(dir('in'), seen, deps.now(), options.settleMs)) {
      if (deps.signal.aborted) break;
      seen.delete(name);
      // The loop outlives any one file: even a failed move to errors/ only costs a log line.
      await processFile(name).catch((error: unknown) => deps.log(`watch: ${name}: ${error instanceof Error ? error.message : String(error)}`));
    }
    await deps.sleep(options.scanEveryMs, deps.signal).catch(() => undefined);
  }
  deps.log('watch: stopped');

  async function processFile(name: string): Promise<void> {
    const input = join(dir('in'), name);
    const statePath = join(dir('.state'), `${name}.state.jsonl`);
    deps.log(`watch: processing ${name}`);
    try {
      fileFormatOf(name);
      const summary = await deps.batch(input, join(dir('out'), name), statePath);
      await rename(input, join(dir('done'), name));
      // A later file with the same name is new work: it must not inherit these answers.
      await rm(statePath, { force: true });
      deps.log(
        `watch: done ${name}: ${summary.rows} rows, ${summary.found} found, ${summary.notFound} not found, ${summary.invalid} invalid, ${summary.errors} errors`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (deps.signal.aborted) return deps.log(`watch: ${name} interrupted; it resumes on the next start`);
      if (isServerProblem(error)) {
        deps.log(`watch: ${name} stays in in/: ${message}; trying again in ${Math.round(options.serverRetryMs / 1000)} s`);
        await deps.sleep(options.serverRetryMs, deps.signal).catch(() => undefined);
        return;
      }
      // The state file stays: submissions already made are reused if a fixed file comes back.
      await rename(input, join(dir('errors'), name));
      await writeFile(join(dir('errors'), `${name}.error.txt`), `${new Date(deps.now()).toISOString()}\n${message}\n`);
      deps.log(`watch: failed ${name}: ${message} (moved to errors/)`);
    }
  }
}

/**
 * Files in `dir` whose size and mtime have stayed the same for `settleMs`, oldest first. Hidden
 * files and the temporary files of editors and downloads (`~$x.xlsx`, `.part`, `.tmp`,
 * `.crdownload`) are ignored: they are someone else's work in progress.
 */
async function stableFiles(dir: string, seen: Map<string, { size: number; mtimeMs: number; since: number }>, now: number, settleMs: number): Promise<string[]> {
  const ready: Array<{ name: string; mtimeMs: number }> = [];
  const present = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (!entry.isFile() || name.startsWith('.') || name.startsWith('~$') || /\.(part|tmp|crdownload)$/i.test(name)) continue;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(join(dir, name));
    } catch {
      continue; // gone between readdir and stat: moved away by whoever put it there
    }
    present.add(name);
    const before = seen.get(name);
    if (!before || before.size !== info.size || before.mtimeMs !== info.mtimeMs) {
      seen.set(name, { size: info.size, mtimeMs: info.mtimeMs, since: now });
    } else if (now - before.since >= settleMs) {
      ready.push({ name, mtimeMs: info.mtimeMs });
    }
  }
  for (const name of seen.keys()) if (!present.has(name)) seen.delete(name);
  return ready.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name)).map((f) => f.name);
}
