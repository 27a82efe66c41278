import type { Store } from '../store/store.ts';
import type { FoundAddress, RegistryAnswer } from './registry.ts';
import type { CacheOptions } from './source-limits.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * Registry answers kept per source and code, so a repeated code costs no registry call. Found
 * answers live ttlDays, "not found" notFoundTtlHours. Expired rows are ignored on read and
 * deleted by the maintenance task (purgeRegistryCacheTask).
 */
export interface AnswerCache {
  get(source: string, code: string, now: number): Promise<RegistryAnswer | null>;
  put(source: string, code: string, answer: RegistryAnswer, now: number, options: CacheOptions): Promise<void>;
}

export function createAnswerCache(store: Store): AnswerCache {
  return {
    async get(source, code, now) {
      const row = await store.db
        .selectFrom('registry_cache')
        .select(['outcome', 'addresses'])
        .where('source', '=', source)
        .where('code', '=', code)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (!row) return null;
      if (row.outcome === 'not_found') return { outcome: 'not_found' };
      return { outcome: 'found', addresses: JSON.parse(row.addresses) as FoundAddress[] };
    },
    async put(source, code, answer, now, options) {
      const ttl = answer.outcome === 'found' ? options.ttlDays * DAY : options.notFoundTtlHours * HOUR;
      if (ttl <= 0) return;
      const values = {
        source,
        code,
        outcome: answer.outcome,
        addresses: JSON.stringify(answer.outcome === 'found' ? answer.addresses : []),
        cached_at: now,
        expires_at: now + ttl,
      };
      await store.db
        .insertInto('registry_cache')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['source', 'code']).doUpdateSet({ outcome: values.outcome, addresses: values.addresses, cached_at: now, expires_at: values.expires_at }),
        )
        .execute();
    },
  };
}
