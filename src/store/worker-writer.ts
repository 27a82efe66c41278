import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A Kysely handle whose statements run on a worker thread with its own connection to the SQLite
 * file, for long bulk writes (a batch upload's rows and chunks). better-sqlite3 runs a statement
 * synchronously on the thread that calls it: on the main connection a million-code upload kept
 * the event loop busy in SQLite for most of its minute (60% of the server's CPU), and a poll
 * waited for each statement and each commit in its way. Here the main thread builds a statement,
 * posts it, and answers other requests while the worker executes it; it also parses the next
 * rows of the upload while the worker writes the previous ones (the machine's second core).
 *
 * The worker's connection is a second writer of the file, and SQLite has one: whoever uses this
 * handle holds the main connection meanwhile (see BulkWrites in store.ts), so the main thread's
 * own writes (group commits, the queue) wait for it asynchronously, as they wait for a
 * transaction of the main connection, and never in busy_timeout's synchronous sleep.
 */
export interface WorkerWriter {
  db: Kysely<Database>;
  /** The thread ended (an error, or close()): its handle fails every statement; start another. */
  readonly ended: boolean;
  /** Ends the worker and closes its connection (an open transaction is rolled back by SQLite). */
  close(): Promise<void>;
}

export interface WorkerWriterOptions {
  file: string;
  busyTimeoutMs: number;
  /** The main writer's, so that commits on either checkpoint alike. */
  walAutocheckpoint: number;
  /** Page cache of the worker's connection, in KiB. */
  cacheKib: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// The main connection's settings that are per connection.
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('foreign_keys = ON');
db.pragma('wal_autocheckpoint = ' + workerData.walAutocheckpoint);
db.pragma('cache_size = -' + workerData.cacheKib);
const statements = new Map();
function prepare(sql) {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (statements.size >= 64) statements.delete(statements.keys().next().value);
    statements.set(sql, stmt);
  }
  return stmt;
}
parentPort.on('message', (m) => {
  if (m.close) {
    db.close();
    parentPort.close();
    return;
  }
  // The statements held back by the main thread, then the one it waits for: the answer is the last's.
  let i = 0;
  try {
    for (; i < m.statements.length - 1; i++) prepare(m.statements[i].sql).run(m.statements[i].parameters);
    const { sql, parameters } = m.statements[i];
    // SQLite may have rolled back itself (SQLITE_FULL): a rollback then would replace the cause.
    if (sql === 'rollback' && !db.inTransaction) return parentPort.postMessage({ id: m.id, rows: [] });
    const stmt = prepare(sql);
    if (stmt.reader) return parentPort.postMessage({ id: m.id, rows: stmt.all(parameters) });
    const r = stmt.run(parameters);
    parentPort.postMessage({ id: m.id, rows: [], changes: r.changes, lastInsertRowid: r.lastInsertRowid });
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

/** Writes that may be held back in a transaction: their answer carries nothing but counts. */
const HOLDABLE = /^\s*(insert|update|delete)\b/i;
const RETURNING = /\breturning\b/i;

interface Answer {
  id: number;
  rows: unknown[];
  changes?: number;
  lastInsertRowid?: number | bigint;
  error?: { message: string; code?: string };
}

/** An error from the worker's SQLite, with its code (SQLITE_FULL, SQLITE_CONSTRAINT_UNIQUE...) as better-sqlite3 gives it. */
class WorkerSqliteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SqliteError';
  }
}

export function startWorkerWriter(options: WorkerWriterOptions): WorkerWriter {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, ...options } });
  // Held only while a statement is out: an idle worker must not keep the process alive.
  worker.unref();
  const pending = new Map<number, { resolve(a: Answer): void; reject(e: unknown): void }>();
  let next = 0;
  let failed: Error | null = null;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const failAll = (error: Error) => {
    failed ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (a: Answer) => {
    const p = pending.get(a.id);
    if (!p) return;
    pending.delete(a.id);
    if (pending.size === 0) worker.unref();
    if (a.error) p.reject(new WorkerSqliteError(a.error.message, a.error.code));
    else p.resolve(a);
  });
  worker.on('error', (error) => failAll(error));
  void exited.then(() => failAll(new Error('the SQLite writer thread ended')));

  function execute(statements: Statement[]): Promise<Answer> {
    if (failed) return Promise.reject(failed);
    const id = next++;
    return new Promise<Answer>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (pending.size === 1) worker.ref();
      worker.postMessage({ id, statements });
    });
  }

  // Inside a transaction, a write without `returning` is held back and sent with the next
  // statement whose answer is needed (a read, the commit): one round trip to the thread for a
  // chunk's run of inserts instead of one each. Measured at 200,000 codes on the loaded machine,
  // a round trip per statement made the upload slower than on the main connection (about 25
  // per chunk, each waking both threads). A held-back write that fails fails that next
  // statement, and with it the transaction, which is then rolled back: nothing of it is kept.
  let inTransaction = false;
  let held: Statement[] = [];
  const connection: DatabaseConnection = {
    async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
      const statement = { sql: compiled.sql, parameters: compiled.parameters };
      if (statement.sql === 'begin immediate') inTransaction = true;
      else if (statement.sql === 'commit' || statement.sql === 'rollback') {
        inTransaction = false;
        if (statement.sql === 'rollback') held = [];
      } else if (inTransaction && HOLDABLE.test(statement.sql) && !RETURNING.test(statement.sql)) {
        held.push(statement);
        // No counts: nothing written through this handle reads them.
        return { rows: [] };
      }
      const statements = held;
      held = [];
      statements.push(statement);
      const a = await execute(statements);
      if (a.changes === undefined) return { rows: a.rows as R[] };
      return {
        rows: [],
        numAffectedRows: BigInt(a.changes),
        insertId: a.lastInsertRowid === undefined ? undefined : BigInt(a.lastInsertRowid),
      };
    },
    // biome-ignore lint/correctness/useYield: never streams
    async *streamQuery() {
      throw new Error('the SQLite writer thread does not stream');
    },
  };
  const db = new Kysely<Database>({ dialect: new WorkerDialect(connection) });
  return {
    db,
    get ended() {
      return failed !== null;
    },
    async close() {
      if (failed) return;
      failed = new Error('the SQLite writer thread is closed');
      worker.ref();
      worker.postMessage({ close: true });
      await exited;
    },
  };
}

/** One connection, used by one caller at a time (Kysely waits for releaseConnection). */
class WorkerDriver implements Driver {
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;
  constructor(private readonly connection: DatabaseConnection) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = null;
    release?.();
  }
  async destroy(): Promise<void> {}
}

class WorkerDialect extends SqliteDialect {
  constructor(private readonly connection: DatabaseConnection) {
    super({ database: {} as never });
  }
  override createDriver(): Driver {
    return new WorkerDriver(this.connection);
  }
}
