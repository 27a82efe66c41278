import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection } from 'kysely';
import type { Database } from './schema.ts';
import { sqliteCapabilities } from './dialect.ts';
import type { Store } from './store.ts';
import { withDirectReads, type DirectReads } from './direct-reads.ts';
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from './background-checkpoints.ts';
import { startWorkerWriter, type WorkerWriter } from './worker-writer.ts';

/**
 * Kysely's SQLite driver opens transactions with a deferred BEGIN. With another process (an admin
 * command) writing to the same file, a deferred transaction that reads and then writes can fail
 * with SQLITE_BUSY without waiting; BEGIN IMMEDIATE takes the write lock up front and honours
 * busy_timeout instead.
 *
 * Rollback: on SQLITE_FULL, SQLITE_IOERR and a few others SQLite rolls the whole transaction
 * back itself before the error reaches us. Kysely then sends ROLLBACK, which fails with
 * "cannot rollback - no transaction is active" and replaces the real error: a full disk was
 * logged that way 385 times out of 388 (issue 15). A rollback with no transaction left is
 * skipped, so the statement's own error (the cause) is what Kysely rethrows.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(private readonly raw: BetterSqlite3.Database) {
    super({ database: raw });
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // One connection per SqliteDriver (Kysely serialises it), so the handle's flag is this transaction's.
    if (!this.raw.inTransaction) return;
    await super.rollbackTransaction(connection);
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }
  override createDriver() {
    return new ImmediateSqliteDriver(this.database);
  }
}

/**
 * Kysely prepares every statement anew; caching them by SQL text makes a poll about 2x cheaper
 * on better-sqlite3. The set of distinct statements is small and fixed by the code.
 */
function statementCache(db: BetterSqlite3.Database): (source: string) => BetterSqlite3.Statement {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const bigCache = new Map<string, BetterSqlite3.Statement>();
  return (source) => {
    const big = source.length > 8192;
    const kept = big ? bigCache : cache;
    let stmt = kept.get(source);
    if (!stmt) {
      stmt = db.prepare(source);
      // Multi-row inserts of batches are large and come in many sizes (the last chunk of
      // each batch): only the last 16 are kept, so they never fill the cache of small ones.
      if (big && bigCache.size >= 16) bigCache.delete(bigCache.keys().next().value!);
      if (big || cache.size < 1000) kept.set(source, stmt);
    }
    return stmt;
  };
}

/** The handle as Kysely's driver sees it: prepare() goes through the cache. */
function withStatementCache(db: BetterSqlite3.Database, prepare: (source: string) => BetterSqlite3.Statement): BetterSqlite3.Database {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Compiled reads (compileOnce) run on the connection at once (see direct-reads.ts), with the
 * statement Kysely would have used. Not while the connection is inside a transaction (the
 * in-memory store, whose one connection also writes): there Kysely's mutex makes the read wait
 * for the transaction's end, and a read run here would see its uncommitted rows.
 */
function sqliteDirectReads(raw: BetterSqlite3.Database, prepare: (source: string) => BetterSqlite3.Statement): DirectReads {
  return {
    prepare(sql) {
      const stmt = prepare(sql);
      if (!stmt.reader) return null;
      return (parameters) => (raw.inTransaction ? null : stmt.all(parameters));
    },
  };
}

/**
 * The reading connection maps the file (mmap) instead of copying pages through its 16 MB page
 * cache with a read() each: a name search touches hundreds of scattered pages of a 400 MB store
 * (1M names), and its CPU p99 went from 8.5-10 ms to 5.6 ms with the map (bench/search.bench.ts).
 * The map shares the OS page cache; past 1 GiB SQLite reads as before. Writes keep their path.
 */
const READER_MMAP_BYTES = 1024 ** 3;

function openReader(file: string, busyTimeoutMs = 5000): BetterSqlite3.Database {
  const raw = new BetterSqlite3(file, { readonly: true });
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  raw.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
  return raw;
}

/**
 * The store holds key hashes, webhook secrets and personal data: a new data folder is made 0700
 * and a new store file 0600 before SQLite opens it (an empty file is a new database to SQLite).
 * SQLite gives the -wal and -shm files it creates the main file's permissions on unix, so they
 * are 0600 too; without this all three were 0644 under the usual umask (issue 15). Existing
 * files keep their mode: the operator may have chosen it (docs/deployment.md says how to tighten).
 */
function createPrivately(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * The bulk writer's page cache: SQLite's default (2,000 KiB). Larger ones were measured on the
 * main writer at 200,000 codes (2026-12-03, load 4-11, two runs each): 32 MiB 12.9-16.6 s of
 * server CPU and 330-421 MB peak RSS, 64 MiB 13.7-16.8 s and 376-481 MB, 128 MiB 15.9-19.5 s and
 * 522-560 MB, against 13.4-17.8 s and 325-331 MB with the default: no gain beyond the noise, for
 * up to 200 MB more (the 400 MB goal of the million-code batch).
 */
const BULK_CACHE_KIB = 2000;

export interface SqliteOptions {
  /** Folder holding cercapec.sqlite; ':memory:' for an in-memory store (tests). */
  dataDir: string;
  busyTimeoutMs?: number;
  /**
   * WAL checkpoints on a worker thread rather than inside the writer's commits (see
   * background-checkpoints.ts): for the server, whose commits are on every request's path.
   */
  checkpointInBackground?: boolean;
}

export function openSqlite(options: SqliteOptions): Store {
  let file = ':memory:';
  let raw: BetterSqlite3.Database;
  try {
    if (options.dataDir !== ':memory:') {
      file = join(options.dataDir, 'cercapec.sqlite');
      createPrivately(options.dataDir, file);
    }
    raw = new BetterSqlite3(file);
    // WAL lets readers (polls, admin commands) run beside the writer; synchronous=NORMAL in WAL
    // mode loses nothing on a process crash or SIGKILL, only possibly the last commits on power loss.
    raw.pragma('journal_mode = WAL');
  } catch (error) {
    // SQLite's own words ("unable to open database file") do not say what to check.
    const code = (error as { code?: string }).code ?? '';
    if (!/^(SQLITE_(CANTOPEN|READONLY|IOERR|FULL|PERM)|EACCES|EROFS|ENOSPC|EPERM)/.test(code)) throw error;
    throw new Error(`cannot open the store ${file}: ${(error as Error).message} (${code}); the data folder must be writable by this user and have free space`, {
      cause: error,
    });
  }
  raw.pragma('synchronous = NORMAL');
  raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  raw.pragma('foreign_keys = ON');
  const prepare = statementCache(raw);
  const db = withDirectReads(new Kysely<Database>({ dialect: new ImmediateSqliteDialect(withStatementCache(raw, prepare)) }), sqliteDirectReads(raw, prepare));
  // Reads beside writes: Kysely holds its one connection for the whole of a transaction, so a
  // poll would wait behind a batch chunk's write. A second connection reads the last committed
  // state (WAL) at once. An in-memory database cannot be shared: there the writer reads too.
  const rawReader = file === ':memory:' ? raw : openReader(file, options.busyTimeoutMs);
  const readerPrepare = rawReader === raw ? prepare : statementCache(rawReader);
  const reader =
    rawReader === raw
      ? db
      : withDirectReads(
          new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(rawReader, readerPrepare) }) }),
          sqliteDirectReads(rawReader, readerPrepare),
        );
  const checkpoints: BackgroundCheckpoints | undefined =
    options.checkpointInBackground && file !== ':memory:'
      ? startBackgroundCheckpoints(raw, file, {
          onError: (error) => process.emitWarning(`WAL checkpoints are back on the writer: the checkpoint thread failed (${(error as Error).message})`),
        })
      : undefined;
  let epochRead: BetterSqlite3.Statement<[], { epoch: number }> | undefined;
  // Started at the first bulk write: a store that never takes a batch has no thread.
  let bulkWriter: WorkerWriter | undefined;
  const bulkWriterOf = () => {
    if (!bulkWriter || bulkWriter.ended)
      bulkWriter = startWorkerWriter({
        file,
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
        walAutocheckpoint: raw.pragma('wal_autocheckpoint', { simple: true }) as number,
        cacheKib: BULK_CACHE_KIB,
      });
    return bulkWriter;
  };
  return {
    db,
    reader,
    // Holding the main connection (Kysely's one) is what orders the worker's writes with this
    // process's others. The in-memory store has no file to share: its bulk writes use db.
    bulk: file === ':memory:' ? undefined : { run: (write) => db.connection().execute(() => write(bulkWriterOf().db)) },
    authEpoch: {
      value() {
        // Prepared on first use: the table exists only once the migrations ran.
        epochRead ??= rawReader.prepare<[], { epoch: number }>('select epoch from auth_epoch where id = 1');
        return Number(epochRead.get()?.epoch ?? 0);
      },
      bump() {},
      stored: true,
    },
    dialect: sqliteCapabilities,
    description: file === ':memory:' ? 'sqlite (in memory)' : `sqlite ${file}`,
    async close() {
      await bulkWriter?.close();
      await checkpoints?.stop();
      if (reader !== db) await reader.destroy();
      await db.destroy();
    },
  };
}
