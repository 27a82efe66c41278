import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A handle's way to run a compiled read without Kysely's executeQuery: on better-sqlite3 the
 * statement runs at once, synchronously, where Kysely takes the driver's connection mutex, chains
 * five promises and passes the result through its plugins (there are none here). Measured under
 * poll load (64 connections, 2026-12-03), that chain and its allocations were about a tenth of a
 * poll's CPU. PostgreSQL handles have none: their reads go through Kysely as before.
 */
export interface DirectReads {
  /**
   * The runner of one SQL text, or null when the text is not a read (Kysely runs it). The runner
   * answers null when it cannot run now, and the caller goes through Kysely, which orders the
   * statement after the transaction holding the connection.
   */
  prepare(sql: string): ((parameters: readonly unknown[]) => unknown[] | null) | null;
}

const DIRECT_READS = Symbol('cercapec.directReads');

/** Marks a handle as able to run compiled reads directly (open-sqlite.ts); returns the handle. */
export function withDirectReads(db: Kysely<Database>, reads: DirectReads): Kysely<Database> {
  Object.defineProperty(db, DIRECT_READS, { value: reads });
  return db;
}

/** The handle's direct reads, if its store gave it any (a Transaction, a PostgreSQL handle: none). */
export function directReadsOf(db: Kysely<Database>): DirectReads | undefined {
  return (db as unknown as { [DIRECT_READS]?: DirectReads })[DIRECT_READS];
}
