import { chmodSync, closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { knownMigrations } from './migrate.ts';
import { finishCopy, sqliteFileOf, StoreFileError, syncFile } from './backup-sqlite.ts';

/** Tables every cercapec store has had since the first migration. */
const CORE_TABLES = ['accounts', 'api_keys', 'ledger', 'requests', 'jobs'];
const SQLITE_MAGIC = 'SQLite format 3\u0000';

export interface RestoreResult {
  file: string;
  /** Where the store it replaced was kept, or null when there was none. */
  previous: string | null;
  migrations: string[];
}

/**
 * Puts a backup in place of the embedded store, for a server that is stopped:
 * 1. the file must be a cercapec SQLite database that passes quick_check, with the core tables
 *    and migrations this version knows (older ones are fine: `serve` applies the rest);
 * 2. it is copied next to the store (SQLite's backup API, which also takes in a -wal beside it);
 * 3. the store must not be open in another process: switching it out of WAL mode needs every
 *    other connection gone, so a running server (or admin command) makes this fail, and the
 *    switch checkpoints the WAL, so no -wal file of the old store is left to be replayed into
 *    the new one;
 * 4. under an exclusive lock, the old file is kept as cercapec.sqlite.bak and the copy is
 *    renamed over it (atomic: at every instant the path is one whole database).
 */
export async function restoreSqlite(dataDir: string, backup: string): Promise<RestoreResult> {
  const input = resolve(backup);
  const live = sqliteFileOf(dataDir);
  if (!existsSync(input)) throw new StoreFileError(`${backup}: no such file`);
  if (input === live) throw new StoreFileError('the backup file is the store itself');
  if (!hasSqliteHeader(input)) throw new StoreFileError(`${backup} is not an SQLite database`);
  const migrations = checkCercapecDatabase(input, backup);

  mkdirSync(dirname(live), { recursive: true, mode: 0o700 });
  const incoming = join(dirname(live), `.cercapec.sqlite.restoring-${process.pid}`);
  rmSync(incoming, { force: true });
  try {
    // Owner-only from the first byte, like the store and its backups: it holds key hashes,
    // webhook secrets and personal data (SQLite's backup would create it 0644 under the usual umask).
    closeSync(openSync(incoming, 'wx', 0o600));
    const source = new BetterSqlite3(input, { readonly: true, fileMustExist: true });
    try {
      await source.backup(incoming, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    finishCopy(incoming);
    chmodSync(incoming, 0o600);
    syncFile(incoming);
    const previous = existsSync(live) ? replaceLive(live, incoming) : (renameSync(incoming, live), null);
    syncFile(dirname(live));
    return { file: live, previous, migrations };
  } finally {
    rmSync(incoming, { force: true });
  }
}

function hasSqliteHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

/** The migrations the file has; throws when it is not a store this version can serve. */
function checkCercapecDatabase(path: string, shown: string): string[] {
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreFileError(`${shown} cannot be opened: ${(error as Error).message}`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreFileError(`${shown} is damaged: ${String(check)}`);
    const tables = new Set((db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const missing = CORE_TABLES.filter((t) => !tables.has(t));
    if (!tables.has('kysely_migration') || missing.length > 0) {
      throw new StoreFileError(
        `${shown} is not a cercapec store (missing ${[...(tables.has('kysely_migration') ? [] : ['kysely_migration']), ...missing].join(', ')})`,
      );
    }
    const applied = (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((m) => m.name);
    const known = knownMigrations();
    const unknown = applied.filter((m) => !known.includes(m));
    if (unknown.length > 0) throw new StoreFileError(`${shown} was made by a newer cercapec (unknown migrations: ${unknown.join(', ')}); upgrade first`);
    if (applied.some((m, i) => m !== known[i])) throw new StoreFileError(`${shown} has migrations out of order (${applied.join(', ')})`);
    return applied;
  } catch (error) {
    if (error instanceof StoreFileError) throw error;
    throw new StoreFileError(`${shown} is not a cercapec store: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/** Steps 3 and 4; returns where the old store was kept. */
function replaceLive(live: string, incoming: string): string {
  const db = new BetterSqlite3(live, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    try {
      db.pragma('journal_mode = DELETE');
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new StoreFileError('the store is in use by another process (a running `cercapec serve`, or an admin command): stop it first');
      }
      throw error;
    }
    if (existsSync(`${live}-wal`)) throw new StoreFileError(`${live}-wal is still there: the store is in use, stop the server first`);
    db.exec('begin exclusive');
    const previous = `${live}.bak`;
    rmSync(previous, { force: true });
    try {
      linkSync(live, previous);
    } catch {
      copyFileSync(live, previous);
    }
    renameSync(incoming, live);
    rmSync(`${live}-shm`, { force: true });
    db.exec('rollback');
    return previous;
  } finally {
    db.close();
  }
}
