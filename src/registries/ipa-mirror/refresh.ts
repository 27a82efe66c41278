import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../../clock.ts';
import type { SourceLimits } from '../source-limits.ts';
import { downloadDump } from './download-dump.ts';
import { MirrorRefreshError } from './mirror-error.ts';
import { readDump } from './read-dump.ts';
import { replaceMirrorDataset } from './replace-dataset.ts';
import { ensureSyncRow, readSyncState, updateSyncState } from './sync-state.ts';

export interface MirrorSettings {
  dumpUrl: string;
  /** A dump with fewer rows than this share of the previous one is refused (a partial export). */
  minRowsRatio: number;
  maxBytes: number;
  /** The whole download and import, at most. */
  timeoutMs: number;
}

export interface MirrorDeps {
  source: string;
  store: Store;
  clock: Clock;
  /** The source's logger (its entries already name the source). */
  logger: Logger;
  limits: Pick<SourceLimits, 'connectTimeoutMs' | 'readTimeoutMs'>;
  settings: MirrorSettings;
}

export type RefreshReport =
  | { outcome: 'not_modified' }
  | { outcome: 'replaced'; datasetId: string; rows: number; entries: number; rejected: number; bytes: number }
  | { outcome: 'error'; code: string; error: string };

export interface MirrorRefresher {
  /**
   * Downloads the dump (conditionally unless force) and swaps it in. Never throws: a failure is
   * recorded in registry_sync (status 'error') and reported, and the old data keep answering.
   * A refresh already running in this process is joined, not started twice.
   */
  refresh(o?: { force?: boolean }): Promise<RefreshReport>;
  readonly running: boolean;
  /** Stops a running refresh (its download is aborted, nothing is swapped in) and waits for it. */
  close(): Promise<void>;
}

export function createMirrorRefresher(d: MirrorDeps): MirrorRefresher {
  const stop = new AbortController();
  let current: Promise<RefreshReport> | null = null;

  async function run(force: boolean): Promise<RefreshReport> {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-ipa-'));
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(d.settings.timeoutMs)]);
    try {
      await ensureSyncRow(d.store.db, d.source);
      const before = await readSyncState(d.store.db, d.source);
      // Conditional only when the data those validators describe are still here.
      const conditional = !force && before.dataset_id !== null && (await hasDataset(d, before.dataset_id));
      const download = await downloadDump({
        url: d.settings.dumpUrl,
        etag: conditional ? before.etag : null,
        lastModified: conditional ? before.last_modified : null,
        file: join(dir, 'enti.csv'),
        maxBytes: d.settings.maxBytes,
        limits: d.limits,
        signal,
      });
      if (download.status === 'not_modified') {
        // Only the check is new; an earlier failure is over, since what we hold is current.
        await updateSyncState(d.store.db, d.source, { checked_at: d.clock.now(), status: 'ok', error: null });
        return { outcome: 'not_modified' };
      }
      const content = await readDump(join(dir, 'enti.csv'));
      checkSize(content.rowsRead, content.entries.length, before.rows, d.settings.minRowsRatio);
      if (signal.aborted) throw new MirrorRefreshError('aborted', 'aggiornamento annullato');
      const datasetId = await replaceMirrorDataset(d.store, {
        source: d.source,
        content,
        etag: download.etag,
        lastModified: download.lastModified,
        now: d.clock.now(),
      });
      const report = {
        outcome: 'replaced' as const,
        datasetId,
        rows: content.rowsRead,
        entries: content.entries.length,
        rejected: content.rowsRejected,
        bytes: download.bytes,
      };
      d.logger.info(report, 'IPA mirror replaced');
      return report;
    } catch (error) {
      const code = error instanceof MirrorRefreshError ? error.code : 'internal';
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      d.logger.warn({ code, error: message }, 'IPA mirror refresh failed; the previous data keep answering');
      await updateSyncState(d.store.db, d.source, { checked_at: d.clock.now(), status: 'error', error: message }).catch((err) => {
        d.logger.error({ err }, 'cannot record the IPA mirror refresh failure');
      });
      return { outcome: 'error', code, error: message };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    refresh(o = {}) {
      if (stop.signal.aborted) return Promise.resolve({ outcome: 'error', code: 'aborted', error: 'mirror chiuso' });
      current ??= run(o.force === true).finally(() => (current = null));
      return current;
    },
    get running() {
      return current !== null;
    },
    async close() {
      stop.abort();
      await current;
    },
  };
}

/** Refuses an empty dump, and one much smaller than the last good one: IPA has ~24,000 enti. */
function checkSize(rows: number, entries: number, previousRows: number | null, minRatio: number): void {
  if (rows === 0 || entries === 0) throw new MirrorRefreshError('too_few_rows', 'il file non contiene enti con PEC');
  if (previousRows !== null && rows < previousRows * minRatio) {
    throw new MirrorRefreshError(
      'too_few_rows',
      `troppo poche righe: ${rows} contro ${previousRows} del file precedente (minimo ${Math.round(minRatio * 100)}%)`,
    );
  }
}

async function hasDataset(d: MirrorDeps, datasetId: string): Promise<boolean> {
  const row = await d.store.db.selectFrom('datasets').select('id').where('id', '=', datasetId).executeTakeFirst();
  return row !== undefined;
}
