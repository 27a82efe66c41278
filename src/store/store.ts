import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.ts';
import type { DialectCapabilities } from './dialect.ts';
import { openSqlite } from './open-sqlite.ts';
import { openPostgres } from './open-postgres.ts';
import { migrateToLatest } from './migrate.ts';

/** The open database with what differs between dialects. Passed to every module that stores. */
export interface Store {
  db: Kysely<Database>;
  /**
   * For reads that need no transaction (polls, key lookups, listings): on a SQLite file, its own
   * connection, which never waits behind a write transaction; elsewhere the same as db.
   */
  reader: Kysely<Database>;
  dialect: DialectCapabilities;
  /** For logs and `cercapec` output: never contains a password. */
  description: string;
  /** The PostgreSQL schema in use ('public' by default); absent on SQLite. */
  schema?: string;
  /**
   * The auth epoch as this process knows it (see accounts/auth-changes.ts). SQLite: read from the
   * store at each call (a prepared one-row read on the reading connection, about a microsecond),
   * so a change made by any process is seen at once. PostgreSQL: a counter in memory, moved by
   * bump() (after this process's own changes, and on every NOTIFY of another's).
   */
  authEpoch: {
    value(): number;
    bump(): void;
    /**
     * Whether value() is the stored row (auth_epoch.epoch): then a read can take the epoch in its
     * own statement, the same snapshot as its rows (findPollState), instead of value() apart.
     */
    stored: boolean;
  };
  /**
   * Long bulk writes (a batch upload's rows and lookups): on a SQLite file, a handle on a worker
   * thread's own connection, used while the main connection is held (see worker-writer.ts);
   * absent elsewhere, where such writes use db. Through runBulk (bulk-writes.ts).
   */
  bulk?: BulkWrites;
  /** The PostgreSQL pool, for LISTEN/NOTIFY; absent on SQLite. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface BulkWrites {
  /**
   * Runs `write` with the bulk handle, the store's other writes waiting meanwhile. `write` must
   * use only the handle it is given: a statement on db would wait for `write` to end.
   */
  run<T>(write: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

export interface OpenStoreOptions {
  /** postgres://... moves the store to PostgreSQL; otherwise the embedded SQLite file in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  schema?: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  /** Run pending migrations on open (the default: an embedded store needs no set-up). */
  migrate?: boolean;
  /** SQLite file: WAL checkpoints on a worker thread, off the writer's commits (the server). */
  checkpointInBackground?: boolean;
}

/** The store a configuration names. */
export function openConfiguredStore(
  config: {
    databaseUrl?: string;
    dataDir: string;
    databaseSchema?: string;
    databasePoolSize?: number;
    databaseStatementTimeoutMs?: number;
  },
  options: Pick<OpenStoreOptions, 'migrate' | 'checkpointInBackground'> = {},
): Promise<Store> {
  return openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs || undefined,
    ...options,
  });
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store = options.databaseUrl
    ? await openPostgres({
        url: options.databaseUrl,
        schema: options.schema,
        poolSize: options.poolSize,
        statementTimeoutMs: options.statementTimeoutMs,
        applicationName: options.applicationName,
      })
    : openSqlite({ dataDir: options.dataDir, checkpointInBackground: options.checkpointInBackground });
  if (options.migrate !== false) await migrateToLatest(store.db, options.databaseUrl ? options.schema : undefined);
  return store;
}
