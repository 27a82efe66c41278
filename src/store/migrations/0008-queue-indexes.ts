import type { Kysely } from 'kysely';

/**
 * The claim picks expired leases of one queue (src/queue/claim-jobs.ts). With the lease index on
 * (status, locked_until) alone, PostgreSQL preferred jobs_ready and filtered every running job
 * of the queue on locked_until, and with batched claims a worker holds hundreds of them; with
 * queue first, the claim reads only the leases that did expire.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_lease').ifExists().execute();
  await db.schema.createIndex('jobs_expiry').on('jobs').columns(['queue', 'status', 'locked_until']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_expiry').ifExists().execute();
  await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'locked_until']).execute();
}
