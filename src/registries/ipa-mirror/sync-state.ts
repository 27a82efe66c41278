import type { Kysely } from 'kysely';
import type { Database, RegistrySyncTable } from '../../store/schema.ts';

export type SyncState = RegistrySyncTable;

/** The mirror's row of registry_sync; a mirror never refreshed has status 'never'. */
export async function readSyncState(db: Kysely<Database>, source: string): Promise<SyncState> {
  const row = await db.selectFrom('registry_sync').selectAll().where('source', '=', source).executeTakeFirst();
  return row ? normalize(row) : neverSynced(source);
}

/** Creates the row if missing, so later updates (and the row lock they take) always find it. */
export async function ensureSyncRow(db: Kysely<Database>, source: string): Promise<void> {
  await db
    .insertInto('registry_sync')
    .values(neverSynced(source))
    .onConflict((oc) => oc.column('source').doNothing())
    .execute();
}

export async function updateSyncState(db: Kysely<Database>, source: string, patch: Partial<Omit<SyncState, 'source'>>): Promise<void> {
  await db.updateTable('registry_sync').set(patch).where('source', '=', source).execute();
}

function neverSynced(source: string): SyncState {
  return { source, etag: null, last_modified: null, dataset_id: null, rows: null, checked_at: null, refreshed_at: null, status: 'never', error: null };
}

/** PostgreSQL bigints come back as numbers through the pool's parser; counts may still be strings. */
function normalize(row: SyncState): SyncState {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { ...row, rows: num(row.rows), checked_at: num(row.checked_at), refreshed_at: num(row.refreshed_at) };
}

/**
 * How fresh the mirror is, for the health summary. ageHours counts from the last time the
 * mirror was known to match IPA's dump: the last import, or a later check answered 304 (while
 * the status is ok, checked_at is that check).
 */
export function freshness(state: SyncState, now: number): Record<string, unknown> {
  const confirmedAt = state.status === 'ok' ? Math.max(state.refreshed_at ?? 0, state.checked_at ?? 0) || null : state.refreshed_at;
  return {
    status: state.status,
    refreshedAt: state.refreshed_at,
    checkedAt: state.checked_at,
    rows: state.rows,
    error: state.error,
    ageHours: confirmedAt === null ? null : Math.round(((now - confirmedAt) / 3_600_000) * 10) / 10,
  };
}
