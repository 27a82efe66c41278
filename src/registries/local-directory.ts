import type { Store } from '../store/store.ts';
import type { AddressKind, Registry } from './registry.ts';

/**
 * The first source: datasets imported by the operator (generic CSV, IPA enti). Newer datasets
 * come first; within a dataset, addresses keep their order in the file.
 */
export function createLocalDirectory(store: Store): Registry {
  return {
    id: 'directory',
    kinds: ['cf16', 'cf11'],
    cacheable: false,
    async lookup(query) {
      const rows = await store.db
        .selectFrom('directory_entries')
        .innerJoin('datasets', 'datasets.id', 'directory_entries.dataset_id')
        .select(['directory_entries.pec', 'directory_entries.kind', 'directory_entries.label', 'directory_entries.dataset_id'])
        .where('directory_entries.code', '=', query.code)
        // Datasets a registry mirror keeps answer as that registry (ipa-mirror), not as ours.
        .where('datasets.managed_by', 'is', null)
        .orderBy('datasets.imported_at', 'desc')
        .orderBy('directory_entries.position')
        .limit(50)
        .execute();
      if (rows.length === 0) return { outcome: 'not_found' };
      const seen = new Set<string>();
      const addresses = rows
        .filter((r) => !seen.has(r.pec.toLowerCase()) && seen.add(r.pec.toLowerCase()))
        .map((r) => ({ pec: r.pec, kind: r.kind as AddressKind, source: 'directory', datasetId: r.dataset_id, label: r.label }));
      return { outcome: 'found', addresses };
    },
  };
}
