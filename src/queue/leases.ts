import { sql } from 'kysely';
import type { Store } from '../store/store.ts';

/** Heartbeat: pushes the lease of the jobs this worker still holds. Returns the ids still held. */
export async function extendLeases(store: Store, workerId: string, jobIds: string[], until: number, now: number): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const rows = await store.db
    .updateTable('jobs')
    .set({ locked_until: until, updated_at: now })
    .where('id', 'in', jobIds)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Graceful shutdown: hands back the jobs this worker holds so another claims them at once,
 * without counting the interrupted attempt.
 */
export async function releaseJobs(store: Store, workerId: string, now: number): Promise<number> {
  const result = await store.db
    .updateTable('jobs')
    .set({ status: 'queued', locked_by: null, locked_until: null, attempts: sql`attempts - 1`, run_at: now, updated_at: now })
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
