import { setTimeout as delay } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { backoffMs } from '../queue/backoff.ts';
import type { AnswerCache } from './answer-cache.ts';
import { createCircuitBreaker, type BreakerState } from './circuit-breaker.ts';
import type { RegistryMetrics } from './metrics.ts';
import { RegistryError, type LookupQuery, type Registry, type RegistryAnswer } from './registry.ts';
import type { BreakerOptions, CacheOptions, SourceLimits } from './source-limits.ts';

export interface SourceHealth {
  source: string;
  breaker: BreakerState;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** Whatever the client adds (the IPA mirror's freshness). */
  details?: Record<string, unknown>;
}

export interface GuardedSource extends Registry {
  health(): Promise<SourceHealth>;
}

export interface GuardOptions {
  limits: SourceLimits;
  breaker: BreakerOptions;
  cache: CacheOptions;
  answerCache: AnswerCache | null;
  metrics: RegistryMetrics;
  clock: Clock;
  logger: Logger;
  /** Waits between in-call retries; tests pass one that resolves at once. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  details?: () => Promise<Record<string, unknown>>;
}

/**
 * What every source goes through: the answer cache, the circuit breaker, retries of transient
 * failures with backoff, metrics and health. The client itself only speaks its registry's API.
 * A source whose breaker is open fails at once with a transient error: the chain moves on, and
 * if nobody else answers, the job waits and tries again later.
 */
export function guardSource(inner: Registry, o: GuardOptions): GuardedSource {
  const id = inner.id;
  const breaker = createCircuitBreaker(o.breaker, o.clock, (state) => {
    o.metrics.breaker(id, state);
    o.logger.warn({ source: id, breaker: state }, 'registry breaker changed');
  });
  o.metrics.breaker(id, 'closed');
  const sleep = o.sleep ?? defaultSleep;
  const cacheable = inner.cacheable !== false && o.answerCache !== null;
  let lastSuccessAt: number | null = null;
  let lastFailureAt: number | null = null;
  let lastError: string | null = null;
  let consecutiveFailures = 0;

  async function ask(query: LookupQuery, signal: AbortSignal): Promise<RegistryAnswer> {
    for (let attempt = 0; ; attempt++) {
      if (!breaker.allow()) {
        o.metrics.lookup(id, 'skipped', 0);
        throw new RegistryError(id, true, 'sorgente temporaneamente sospesa (troppi errori)', 'breaker_open');
      }
      const started = performance.now();
      try {
        const answer = await inner.lookup(query, signal);
        breaker.success();
        lastSuccessAt = o.clock.now();
        consecutiveFailures = 0;
        o.metrics.lookup(id, answer.outcome, (performance.now() - started) / 1000);
        return answer;
      } catch (error) {
        const seconds = (performance.now() - started) / 1000;
        if (signal.aborted) throw error;
        const transient = !(error instanceof RegistryError) || error.transient;
        o.metrics.lookup(id, transient ? 'transient_error' : 'permanent_error', seconds);
        lastFailureAt = o.clock.now();
        lastError = error instanceof Error ? error.message.slice(0, 300) : String(error);
        if (!transient) {
          // The source answered; it refused this code. Not a sign the source is down.
          breaker.success();
          throw error;
        }
        breaker.failure();
        consecutiveFailures += 1;
        if (attempt >= o.limits.retries || breaker.state === 'open') throw error;
        await sleep(backoffMs(attempt + 1, o.limits.retryBaseMs, 30_000), signal);
      }
    }
  }

  return {
    id,
    kinds: inner.kinds,
    cacheable: inner.cacheable,
    async lookup(query, signal) {
      const key = inner.cachePerReference ? `${query.code}|${referenceKey(query.reference)}` : query.code;
      if (cacheable && query.fresh !== true) {
        const cached = await o.answerCache!.get(id, key, o.clock.now());
        o.metrics.cache(id, cached ? 'hit' : 'miss');
        if (cached) return cached;
      }
      const answer = await ask(query, signal);
      if (cacheable) await o.answerCache!.put(id, key, answer, o.clock.now(), o.cache);
      return answer;
    },
    async health() {
      return {
        source: id,
        breaker: breaker.state,
        lastSuccessAt,
        lastFailureAt,
        lastError,
        consecutiveFailures,
        details: o.details ? await o.details() : undefined,
      };
    },
    skipReason: inner.skipReason?.bind(inner),
    // One call, no retries: the customer is waiting on the HTTP request. An open breaker refuses it too.
    verifyAddress: inner.verifyAddress
      ? async (q, signal) => {
          if (!breaker.allow()) throw new RegistryError(id, true, 'sorgente temporaneamente sospesa (troppi errori)', 'breaker_open');
          return inner.verifyAddress!(q, signal);
        }
      : undefined,
    close: inner.close?.bind(inner),
  };
}

/** The purpose in a cache key: hashed, so the key stays short and the text is not repeated. */
function referenceKey(reference: string | null): string {
  return reference ? createHash('sha256').update(reference).digest('base64url').slice(0, 16) : '';
}

async function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
}
