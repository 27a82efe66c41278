import type { Kysely } from 'kysely';
import type { BatchesTable, Database } from '../store/schema.ts';

export interface ListBatchesOptions {
  limit: number;
  /** The last batch of the previous page (newest first): only older ones follow. */
  after?: { at: number; id: string } | null;
}

/**
 * An account's batches, newest first, one more than `limit` so the caller can tell whether a
 * next page exists.
 */
export async function listBatches(db: Kysely<Database>, accountId: string, o: ListBatchesOptions): Promise<BatchesTable[]> {
  const { after } = o;
  let query = db.selectFrom('batches').selectAll().where('account_id', '=', accountId);
  if (after) query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(o.limit + 1)
    .execute();
}
