import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Account } from './api-keys.ts';

/**
 * Remembers which account a key opened for a few seconds, so a client polling many tokens does
 * not cost a key lookup per request. Only successes are kept (a key created a moment ago works
 * at once); keys are held by their sha256, never in clear. A revoked key, a disabled account or
 * a new price reach this process within ttlMs (the documented CERCAPEC_KEY_CACHE_MS).
 */
export function cachedAuthenticate(
  authenticate: (key: string) => Promise<Account | null>,
  o: { ttlMs: number; clock: Clock; max?: number },
): (key: string) => Promise<Account | null> {
  if (o.ttlMs <= 0) return authenticate;
  const max = o.max ?? 10_000;
  const entries = new Map<string, { account: Account; until: number }>();
  return async (key) => {
    const id = createHash('sha256').update(key).digest('base64');
    const now = o.clock.now();
    const hit = entries.get(id);
    if (hit && hit.until > now) return hit.account;
    const account = await authenticate(key);
    entries.delete(id);
    if (account) {
      // Oldest first out: a Map iterates in insertion order.
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(id, { account, until: now + o.ttlMs });
    }
    return account;
  };
}
