import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * What differs between the embedded store and PostgreSQL, behind one small interface so that
 * callers never branch on the database (the kysely way).
 */
export interface DialectCapabilities {
  readonly name: 'sqlite' | 'postgres';
  /** Whether claims can use FOR UPDATE SKIP LOCKED. */
  readonly skipLocked: boolean;
  /**
   * Whether reads that precede a write must lock their rows (SELECT ... FOR UPDATE). SQLite
   * needs none: every write transaction starts with BEGIN IMMEDIATE and so is already serial.
   */
  readonly rowLocks: boolean;
  /**
   * Whether one statement can lock rows as it reads them and write several tables through
   * data-modifying CTEs, committing on its own (PostgreSQL): a group of submissions is then
   * accepted in one round trip instead of one per statement.
   */
  readonly oneStatementWrites: boolean;
  /**
   * Whether point reads that arrive together are worth gathering into one statement: each is a
   * round trip to the server (PostgreSQL); SQLite reads in process.
   */
  readonly gatherReads: boolean;
  /** Whether an error is a unique-constraint violation (the last line of defence against races). */
  isUniqueViolation(error: unknown): boolean;
  /**
   * Serialises writers that check and then change an account's balance. On SQLite every write
   * transaction starts with BEGIN IMMEDIATE and so is already serial; on PostgreSQL it takes a
   * row lock on the account.
   */
  lockAccount(trx: Transaction<Database>, accountId: string): Promise<void>;
  /**
   * Takes a lock held until the transaction ends, or returns false when another process holds
   * it: periodic tasks run once per cluster. PostgreSQL: an advisory transaction lock; SQLite:
   * one file serves one machine, and its write transactions are already exclusive.
   */
  tryClusterLock(trx: Transaction<Database>, key: bigint): Promise<boolean>;
  /** Tells other processes, when the transaction commits (PostgreSQL NOTIFY); SQLite: nothing to tell. */
  notifyOnCommit(trx: Transaction<Database>, channel: string, payload: string): Promise<void>;
}

export const sqliteCapabilities: DialectCapabilities = {
  name: 'sqlite',
  skipLocked: false,
  rowLocks: false,
  oneStatementWrites: false,
  gatherReads: false,
  isUniqueViolation: (error) => errorCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' || errorCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  async lockAccount() {},
  async tryClusterLock() {
    return true;
  },
  async notifyOnCommit() {},
};

export const postgresCapabilities: DialectCapabilities = {
  name: 'postgres',
  skipLocked: true,
  rowLocks: true,
  oneStatementWrites: true,
  gatherReads: true,
  isUniqueViolation: (error) => errorCode(error) === '23505',
  async lockAccount(trx, accountId) {
    await sql`select id from accounts where id = ${accountId} for update`.execute(trx);
  },
  async tryClusterLock(trx, key) {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${key.toString()}::bigint) as locked`.execute(trx);
    return rows[0]?.locked === true;
  },
  async notifyOnCommit(trx, channel, payload) {
    await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
  },
};

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
