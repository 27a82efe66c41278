import type { Store } from '../../store/store.ts';
import type { Clock } from '../../clock.ts';
import { RegistryError, type AddressKind, type FoundAddress } from '../registry.ts';
import type { SourceClient } from '../source-definition.ts';
import type { MirrorRefresher } from './refresh.ts';
import { freshness, readSyncState } from './sync-state.ts';

/**
 * Lookups in the mirror's own dataset (datasets.managed_by = the source id), which the local
 * directory ignores. Until a first dump has been imported the mirror cannot say "not found":
 * it fails transiently, so the chain moves on (WS23, INI-PEC) and the job retries later.
 */
export function createMirrorClient(source: string, store: Store, clock: Clock, refresher: MirrorRefresher): SourceClient {
  return {
    id: source,
    kinds: ['cf11'],
    // Answers come from our own tables: caching them would only delay a refreshed dump.
    cacheable: false,
    async lookup(query) {
      const rows = await store.db
        .selectFrom('directory_entries')
        .innerJoin('datasets', 'datasets.id', 'directory_entries.dataset_id')
        .select(['directory_entries.pec', 'directory_entries.kind', 'directory_entries.label', 'directory_entries.dataset_id'])
        .where('datasets.managed_by', '=', source)
        .where('directory_entries.code', '=', query.code)
        .orderBy('datasets.imported_at', 'desc')
        .orderBy('directory_entries.position')
        .limit(50)
        .execute();
      if (rows.length === 0) {
        const loaded = await store.db.selectFrom('datasets').select('id').where('managed_by', '=', source).limit(1).executeTakeFirst();
        if (!loaded) throw new RegistryError(source, true, 'mirror non ancora scaricato', 'not_loaded');
        return { outcome: 'not_found' };
      }
      const seen = new Set<string>();
      const addresses: FoundAddress[] = [];
      for (const r of rows) {
        if (seen.has(r.pec.toLowerCase())) continue;
        seen.add(r.pec.toLowerCase());
        addresses.push({ pec: r.pec, kind: r.kind as AddressKind, source, datasetId: r.dataset_id, label: r.label, profession: null });
      }
      return { outcome: 'found', addresses };
    },
    async details() {
      return freshness(await readSyncState(store.db, source), clock.now());
    },
    close: () => refresher.close(),
  };
}
