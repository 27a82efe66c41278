import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { SchemaPostgresDialect } from './schema-introspector.ts';
import type { Database } from './schema.ts';
import { postgresCapabilities } from './dialect.ts';
import type { Store } from './store.ts';

export interface PostgresOptions {
  url: string;
  /** Schema to work in (created if missing); tests give each suite its own. */
  schema?: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity; tests name each store's connections to find them. */
  applicationName?: string;
}

const INT8 = 20;
const NUMERIC = 1700;

/** bigint and count(*) come back as strings from pg; every one of ours fits in a double. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export async function openPostgres(options: PostgresOptions): Promise<Store> {
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pgOptions: string[] = [];
  if (schema) pgOptions.push(`-c search_path=${schema}`);
  if (options.statementTimeoutMs) pgOptions.push(`-c statement_timeout=${options.statementTimeoutMs}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'cercapec',
    types,
    options: pgOptions.join(' ') || undefined,
  });
  // A connection that dies while idle (server restart, failover) must not crash the process:
  // the pool drops it and opens a new one on the next query.
  pool.on('error', () => {});
  // A connection killed while checked out emits 'error' on its client; without a listener that
  // is an uncaught exception. The query in flight still rejects, and callers handle that.
  pool.on('connect', (client) => client.on('error', () => {}));
  // With a schema, introspection (the migrator's) looks at that schema only: see schema-introspector.ts.
  const db = new Kysely<Database>({ dialect: schema ? new SchemaPostgresDialect({ pool }, schema) : new PostgresDialect({ pool }) });
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  let epoch = 0;
  return {
    db,
    reader: db,
    schema: schema ?? 'public',
    authEpoch: { value: () => epoch, bump: () => void epoch++, stored: false },
    dialect: postgresCapabilities,
    description: `postgres ${redactUrl(options.url)}${schema ? ` schema ${schema}` : ''}`,
    pool,
    async close() {
      await db.destroy();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
