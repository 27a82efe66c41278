import { sql, type Kysely } from 'kysely';

/**
 * Each account carries its running balance, so that accepting a request reads one row instead
 * of summing a ledger that grows with every request the account ever made (measured on 1e05d9b:
 * a prepaid submit fell from 337 req/s with an empty ledger to 5.7 req/s at 500,000 rows). The
 * ledger stays the append-only record; billing/ledger.ts updates both in one transaction and
 * `cercapec ledger verify` recomputes every sum. Existing accounts start from their ledger's sum.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('balance_cents', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update accounts set balance_cents = (select coalesce(sum(amount_cents), 0) from ledger where ledger.account_id = accounts.id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('balance_cents').execute();
}
