import type { Kysely } from 'kysely';

/**
 * Address history (issue 16): every answer a source gives about a code, kept as an observation.
 * One row per (code, source, address) run: the same address seen again from the same source
 * moves last_seen_at instead of adding a row; another address (or none, pec null) closes the
 * current row (superseded_at) and opens a new one. Rows are per installation, like the
 * directory and the answer cache, and go with retention and `cercapec erase`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('address_observations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('pec', 'text')
    .addColumn('kind', 'text')
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('valid_from', 'bigint')
    .addColumn('valid_to', 'bigint')
    .addColumn('superseded_at', 'bigint')
    .execute();
  // A code's history (verification, GET /v1/watches/{code}) and the current row per source.
  await db.schema.createIndex('address_observations_code').on('address_observations').columns(['code', 'source', 'first_seen_at']).execute();
  // Re-checks walk the current rows of one source in code order; retention walks by age.
  await db.schema.createIndex('address_observations_source').on('address_observations').columns(['source', 'code']).execute();
  await db.schema.createIndex('address_observations_seen').on('address_observations').columns(['last_seen_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('address_observations').execute();
}
