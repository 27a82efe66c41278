import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Failed back-office logins slow down whoever makes them instead of locking the username: a
 * lock per username let anyone lock the administrators out with a few wrong passwords, the
 * right one refused too (issue 15). Three counters, each forgotten 4 × `windowMs` (an hour by
 * default) after its last failure, so an address that keeps failing keeps waiting the longest:
 * - per (username, address): after `failures` failures, attempts from that address for that
 *   name wait 30 s, then 1, 2, 4, 8 minutes… (doubling at each further failure) up to `windowMs`;
 * - per address, whatever the usernames (spraying names from one address): the same after
 *   4 × `failures`;
 * - per username, from every address (a guess spread over many addresses): once it reaches
 *   10 × `failures`, an address that has already failed for that name waits after its first
 *   failure instead of after `failures`. An address with no failure for the name (the owner's)
 *   is never slowed by it, so this brake cannot lock anyone out; the price is that each new
 *   address an attacker brings still gets its first guess.
 * The right password from an address that is waiting is refused like a wrong one (checking it
 * would make the wait pointless); from another address it works.
 */
export interface ThrottlePolicy {
  /** Failures per (username, address) before attempts from there wait. 0: no throttle. */
  failures: number;
  /** The longest wait; a counter is forgotten MEMORY_FACTOR times this long after its last failure. */
  windowMs: number;
}

export interface LoginSource {
  /** Normalised (trimmed, lower case); '' counts for the address only. */
  username: string;
  /** The client address (req.ip: the proxy's client with CERCAPEC_TRUST_PROXY). */
  address: string;
}

/** The first wait; each further failure doubles it, up to the window. */
export const FIRST_WAIT_MS = 30_000;
export const ADDRESS_FACTOR = 4;
export const USERNAME_FACTOR = 10;
/** Longer than the longest wait: a wait that ends must not also wipe the count. */
export const MEMORY_FACTOR = 4;

type Scope = 'pair' | 'address' | 'username';
type Row = { username: string; address: string; failures: number | string; last_failed_at: number | string };

/** Which counter a stored row is. */
function scopeOf(row: { username: string; address: string }): Scope {
  return row.username === '' ? 'address' : row.address === '' ? 'username' : 'pair';
}

function keysOf(source: LoginSource): { username: string; address: string; scope: Scope }[] {
  const keys: { username: string; address: string; scope: Scope }[] = [{ username: '', address: source.address, scope: 'address' }];
  if (source.username) {
    keys.push({ username: source.username, address: source.address, scope: 'pair' });
    keys.push({ username: source.username, address: '', scope: 'username' });
  }
  return keys;
}

/** The wait after `count` failures when `free` are allowed: 0, then 30 s doubling, capped. */
function waitAfter(count: number, free: number, windowMs: number): number {
  if (count < free) return 0;
  return Math.min(windowMs, FIRST_WAIT_MS * 2 ** Math.min(count - free, 20));
}

/** When this source may try again: null when it may now. */
export async function retryAt(db: Kysely<Database>, source: LoginSource, now: number, policy: ThrottlePolicy): Promise<number | null> {
  if (policy.failures <= 0) return null;
  const rows = (await db
    .selectFrom('login_failures')
    .select(['username', 'address', 'failures', 'last_failed_at'])
    .where((eb) => eb.or(keysOf(source).map((k) => eb.and([eb('username', '=', k.username), eb('address', '=', k.address)]))))
    .where('last_failed_at', '>', now - MEMORY_FACTOR * policy.windowMs)
    .execute()) as Row[];
  return retryAtOf(rows, policy, now);
}

function retryAtOf(rows: Row[], policy: ThrottlePolicy, now: number): number | null {
  const of = (scope: Scope) => rows.find((r) => scopeOf(r) === scope);
  const pair = of('pair');
  const address = of('address');
  const username = of('username');
  const underAttack = username !== undefined && Number(username.failures) >= USERNAME_FACTOR * policy.failures;
  let until = 0;
  if (pair) until = Math.max(until, Number(pair.last_failed_at) + waitAfter(Number(pair.failures), underAttack ? 1 : policy.failures, policy.windowMs));
  if (address) until = Math.max(until, Number(address.last_failed_at) + waitAfter(Number(address.failures), ADDRESS_FACTOR * policy.failures, policy.windowMs));
  return until > now ? until : null;
}

export interface FailureOutcome {
  /** When this source may try again, or null when it may at once. */
  retryAt: number | null;
  /** Counters this failure made start waiting (for the audit log). */
  started: Scope[];
}

/**
 * Counts a failed login on the three counters: each one insert-if-missing and one update, each
 * atomic on both dialects, so concurrent failures are all counted without a read-then-write race.
 */
export async function recordFailure(db: Kysely<Database>, source: LoginSource, now: number, policy: ThrottlePolicy): Promise<FailureOutcome> {
  if (policy.failures <= 0) return { retryAt: null, started: [] };
  const rows: Row[] = [];
  const started: Scope[] = [];
  for (const key of keysOf(source)) {
    await db
      .insertInto('login_failures')
      .values({ username: key.username, address: key.address, failures: 0, first_failed_at: now, last_failed_at: now })
      .onConflict((oc) => oc.columns(['username', 'address']).doNothing())
      .execute();
    const stale = sql<boolean>`(last_failed_at <= ${now - MEMORY_FACTOR * policy.windowMs})`;
    const row = await db
      .updateTable('login_failures')
      .set({
        failures: sql`case when ${stale} then 1 else failures + 1 end`,
        first_failed_at: sql`case when ${stale} then ${now} else first_failed_at end`,
        last_failed_at: now,
      })
      .where('username', '=', key.username)
      .where('address', '=', key.address)
      .returning(['username', 'address', 'failures', 'last_failed_at'])
      .executeTakeFirstOrThrow();
    rows.push(row);
    const threshold = key.scope === 'pair' ? policy.failures : key.scope === 'address' ? ADDRESS_FACTOR * policy.failures : USERNAME_FACTOR * policy.failures;
    if (Number(row.failures) === threshold) started.push(key.scope);
  }
  return { retryAt: retryAtOf(rows, policy, now), started };
}

/** A successful login clears its (username, address) counter and drops every forgotten one. */
export async function clearFailures(db: Kysely<Database>, source: LoginSource, now: number, policy: ThrottlePolicy): Promise<void> {
  await db.deleteFrom('login_failures').where('username', '=', source.username).where('address', '=', source.address).execute();
  await db
    .deleteFrom('login_failures')
    .where('last_failed_at', '<=', now - MEMORY_FACTOR * policy.windowMs)
    .execute();
}
