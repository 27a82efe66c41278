import type { StandinDataset } from '../dataset.ts';

/** One item of elencoPec, as InfoCamere lists it (pecImpresa is required by the spec: "" when none). */
export interface PecItem {
  cf: string;
  pecImpresa: string;
  pecProfessionista?: Array<{ pec: string }>;
}

/**
 * What INI-PEC holds of the seeded data: companies with their pecImpresa, professionals with
 * their pecProfessionista list. Half the "unknown" codes are listed with no address at all
 * (registered, no PEC), the other half not listed: both mean not found.
 */
export function indexDataset(dataset: StandinDataset): Map<string, PecItem> {
  const index = new Map<string, PecItem>();
  for (const c of dataset.companies) index.set(c.cf, { cf: c.cf, pecImpresa: c.pec });
  for (const p of dataset.professionals) index.set(p.cf, { cf: p.cf, pecImpresa: '', pecProfessionista: p.pecs.map((pec) => ({ pec })) });
  for (const cf of [...dataset.unknown.cf11, ...dataset.unknown.cf16].filter((_, i) => i % 2 === 0)) {
    index.set(cf, { cf, pecImpresa: '' });
  }
  return index;
}

/** A richiestaElencoPec received: its codes, and how many times it was polled. */
export interface PendingList {
  id: string;
  codes: string[];
  polls: number;
}

export function createListStore(firstId = 123_456_789) {
  const lists = new Map<string, PendingList>();
  let next = firstId;
  return {
    add(codes: string[]): PendingList {
      const list = { id: String(next++), codes, polls: 0 };
      lists.set(list.id, list);
      // Bounded: a long-running demo forgets the oldest requests, as InfoCamere would.
      if (lists.size > 10_000) lists.delete(lists.keys().next().value!);
      return list;
    },
    get: (id: string) => lists.get(id),
  };
}
