import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/** The embedded store's file in a data folder. */
export function sqliteFileOf(dataDir: string): string {
  return join(resolve(dataDir), 'cercapec.sqlite');
}

/** Why a backup or restore could not be made; the message says what to do. */
export class StoreFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreFileError';
  }
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
}

/**
 * An online backup of the embedded store into `target`, safe while a server runs: SQLite's
 * backup API copies the pages inside one read transaction (all pages in one step), so the copy
 * is the database as of one commit, and WAL mode lets the server go on writing meanwhile. The
 * copy is a single self-contained file (rollback journal, no -wal beside it), checked with
 * quick_check, readable by its owner only (it holds key hashes, webhook secrets and personal
 * data), and appears under its name only when complete (written aside, then renamed).
 */
export async function backupSqlite(dataDir: string, target: string, options: { overwrite?: boolean } = {}): Promise<BackupResult> {
  const source = sqliteFileOf(dataDir);
  const file = resolve(target);
  if (!existsSync(source)) throw new StoreFileError(`no cercapec store in ${resolve(dataDir)} (cercapec.sqlite not found)`);
  if (file === source || file.startsWith(`${source}-`)) throw new StoreFileError('the backup file must not be the store itself');
  if (existsSync(file) && !options.overwrite) throw new StoreFileError(`${target} exists: remove it or pass --force`);
  mkdirSync(dirname(file), { recursive: true });
  const partial = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  const db = new BetterSqlite3(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    let pages = 0;
    await db.backup(partial, {
      // Every page in the next step: one step, one read transaction, one consistent copy (in
      // steps, a write by the server between two of them would restart the copy, over and over
      // under load). better-sqlite3's first step only opens the backup.
      progress: ({ totalPages }) => {
        pages = totalPages;
        return 0x7fffffff;
      },
    });
    finishCopy(partial);
    chmodSync(partial, 0o600);
    syncFile(partial);
    renameSync(partial, file);
    syncFile(dirname(file));
    return { file, bytes: statSync(file).size, pages };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
}

/** The copy as one file in rollback-journal mode, checked. Throws when it is not sound. */
export function finishCopy(path: string): void {
  const copy = new BetterSqlite3(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreFileError(`the copy failed its integrity check: ${String(check)}`);
  } finally {
    copy.close();
  }
}

export function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
