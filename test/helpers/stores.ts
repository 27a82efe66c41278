import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/store.ts';

/**
 * Every storage suite runs on every dialect: SQLite always, PostgreSQL whenever a server answers
 * at CERCAPEC_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). Each store
 * gets its own schema, dropped afterwards. CERCAPEC_TEST_DIALECTS=sqlite narrows the loop.
 */
export type DialectName = 'sqlite' | 'postgres';

export const TEST_DATABASE_URL = process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresAnswer: Promise<string | null> | undefined;

/** null when PostgreSQL answers; otherwise why it is skipped. */
export function postgresUnavailable(): Promise<string | null> {
  postgresAnswer ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      return `PostgreSQL suites skipped: no server answers at ${TEST_DATABASE_URL} (${(error as Error).message})`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresAnswer;
}

export function dialects(): DialectName[] {
  const wanted = process.env.CERCAPEC_TEST_DIALECTS?.split(',').map((s) => s.trim());
  return (['sqlite', 'postgres'] as const).filter((d) => !wanted || wanted.includes(d));
}

export interface TestStore extends Store {
  /** Drops the schema (PostgreSQL) and closes. */
  destroy(): Promise<void>;
}

export async function openTestStore(dialect: DialectName, dataDir = ':memory:'): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const store = await openStore({ dataDir });
    return Object.assign(store, { destroy: () => store.close() });
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, poolSize: 5, applicationName: `cercapec_${schema}` });
  return Object.assign(store, {
    async destroy() {
      await store.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await store.close();
    },
  });
}

/**
 * Registers a suite once per dialect. The suite body receives a getter for a fresh store that
 * each test opens in beforeEach. PostgreSQL suites are skipped, with the reason, when no
 * server answers.
 */
export async function eachDialect(
  describe: (name: string, options: { skip?: string | boolean }, fn: () => void) => unknown,
  name: string,
  body: (dialect: DialectName) => void,
): Promise<void> {
  const pgSkip = await postgresUnavailable();
  for (const dialect of dialects()) {
    const skip = dialect === 'postgres' && pgSkip ? pgSkip : false;
    if (skip) console.log(`# ${name} [postgres]: ${skip}`);
    describe(`${name} [${dialect}]`, { skip }, () => body(dialect));
  }
}
