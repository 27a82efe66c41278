import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** How many lookups of an account were created in [from, to) (epoch ms), by status; absent statuses are not listed. */
export async function countLookupsByStatus(db: Kysely<Database>, accountId: string, from: number, to: number): Promise<Record<string, number>> {
  const statuses = await db
    .selectFrom('requests')
    .select(['status', sql<number>`count(*)`.as('n')])
    .where('account_id', '=', accountId)
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .groupBy('status')
    .execute();
  return Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)]));
}
