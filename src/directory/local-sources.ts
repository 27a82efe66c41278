import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The sources answered from our own tables: the operator's directory and the mirrors. */
export const DIRECTORY_SOURCE = 'directory';
/** Spelled out rather than imported: registries/ sits above directory/. */
export const MIRROR_SOURCES: readonly string[] = ['ipa-mirror'];

/**
 * A local source's current row stays true until a re-check supersedes it: every import and
 * mirror refresh re-checks the codes the source has current rows for (watches/recheck-local.ts, asked for by dataset-changed.ts).
 * A remote source's answer is known true only when it was given (and over the validity the
 * source states).
 */
export function isLocalSource(source: string): boolean {
  return source === DIRECTORY_SOURCE || MIRROR_SOURCES.includes(source);
}

/** Which datasets a local source answers from: the operator's own (managed_by null) or a mirror's. */
export function localSourceOf(managedBy: string | null): string {
  return managedBy ?? DIRECTORY_SOURCE;
}

/**
 * The primary address each code has in a local source now, the way the source answers a
 * lookup (newest dataset first, then the file's order). Codes absent from the map have none.
 */
export async function localAddresses(db: Db, source: string, codes: readonly string[]): Promise<Map<string, { pec: string; kind: string }>> {
  const found = new Map<string, { pec: string; kind: string }>();
  if (codes.length === 0) return found;
  let query = db
    .selectFrom('directory_entries')
    .innerJoin('datasets', 'datasets.id', 'directory_entries.dataset_id')
    .select(['directory_entries.code', 'directory_entries.pec', 'directory_entries.kind'])
    .where('directory_entries.code', 'in', codes);
  query = source === DIRECTORY_SOURCE ? query.where('datasets.managed_by', 'is', null) : query.where('datasets.managed_by', '=', source);
  const rows = await query.orderBy('directory_entries.code').orderBy('datasets.imported_at', 'desc').orderBy('directory_entries.position').execute();
  for (const row of rows) if (!found.has(row.code)) found.set(row.code, { pec: row.pec, kind: row.kind });
  return found;
}

/** Whether a mirror has data yet: before its first download it can say nothing, not "none". */
export async function sourceLoaded(db: Db, source: string): Promise<boolean> {
  if (source === DIRECTORY_SOURCE) return true;
  return (await db.selectFrom('datasets').select('id').where('managed_by', '=', source).limit(1).executeTakeFirst()) !== undefined;
}
