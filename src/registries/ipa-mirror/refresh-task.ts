import type { Logger } from 'pino';
import type { MaintenanceTask } from '../../queue/maintenance.ts';
import type { MirrorRefresher } from './refresh.ts';
import type { SyncState } from './sync-state.ts';

export interface RefreshTaskOptions {
  source: string;
  /** Time between checks of the dump (a conditional GET; a download when it changed). */
  refreshMs: number;
  /** After a failed refresh, the next try comes sooner than refreshMs. */
  retryMs: number;
  logger: Logger;
}

/** How often the task looks whether a refresh is due: cheap (one row read), so often enough to be punctual. */
const LOOK_EVERY_MS = 10 * 60_000;

/**
 * The mirror's periodic refresh, once per cluster. Under the task's cluster lock it only
 * decides: when a refresh is due it claims it (checked_at = now, so other processes see it
 * as not due) and starts it after the lock's transaction, in the background. The download
 * must not run inside that transaction: on SQLite it holds the only connection, and a
 * 15 MB download would stall every request for its whole length. The refresh records its own
 * outcome in registry_sync; the mirror's close() waits for it.
 */
export function ipaMirrorRefreshTask(refresher: MirrorRefresher, o: RefreshTaskOptions): MaintenanceTask {
  return {
    name: `refresh-${o.source}`,
    everyMs: Math.min(LOOK_EVERY_MS, o.refreshMs),
    async run(trx, now): Promise<Record<string, number>> {
      if (refresher.running) return { due: 0, running: 1 };
      const state = await trx.selectFrom('registry_sync').selectAll().where('source', '=', o.source).executeTakeFirst();
      if (!isDue(state, now, o)) return { due: 0 };
      await trx
        .insertInto('registry_sync')
        .values({
          source: o.source,
          status: 'never',
          checked_at: now,
          etag: null,
          last_modified: null,
          dataset_id: null,
          rows: null,
          refreshed_at: null,
          error: null,
        })
        .onConflict((oc) => oc.column('source').doUpdateSet({ checked_at: now }))
        .execute();
      // Not awaited: the lock's transaction ends now. The refresh's first query waits for it to
      // commit (SQLite: the connection; PostgreSQL: the claimed row), then reads the claim.
      setImmediate(() => {
        refresher.refresh().catch((err) => o.logger.error({ err }, 'IPA mirror refresh crashed'));
      });
      return { due: 1, started: 1 };
    },
  };
}

/** Never loaded, failed a while ago, or ok but older than the refresh period. */
export function isDue(state: Pick<SyncState, 'status' | 'checked_at'> | undefined, now: number, o: Pick<RefreshTaskOptions, 'refreshMs' | 'retryMs'>): boolean {
  if (!state || state.checked_at === null) return true;
  const since = now - Number(state.checked_at);
  return since >= (state.status === 'ok' ? o.refreshMs : o.retryMs);
}
