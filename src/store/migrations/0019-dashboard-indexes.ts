import type { Kysely } from 'kysely';

/**
 * The dashboard's per-account table sums the ledger of a period for every account: without an
 * index on created_at that reads the whole ledger (one row per lookup). Accounts with a low
 * prepaid balance are found by (billing_mode, balance_cents) rather than by reading every account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('ledger_created').on('ledger').column('created_at').execute();
  await db.schema.createIndex('accounts_mode_balance').on('accounts').columns(['billing_mode', 'balance_cents']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('accounts_mode_balance').execute();
  await db.schema.dropIndex('ledger_created').execute();
}
