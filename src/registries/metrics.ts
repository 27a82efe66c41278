import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState } from './circuit-breaker.ts';

/**
 * The per-process metrics of the registries, in one prom-client registry per process (never the
 * global one, so tests can build several). Served as Prometheus text on /metrics.
 */
export interface RegistryMetrics {
  readonly registry: PromRegistry;
  lookup(source: string, outcome: string, seconds: number): void;
  wire(source: string, outcome: string, seconds: number): void;
  cache(source: string, result: 'hit' | 'miss'): void;
  breaker(source: string, state: BreakerState): void;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export function createRegistryMetrics(options: { defaultMetrics?: boolean } = {}): RegistryMetrics {
  const registry = new PromRegistry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'cercapec_' });
  const lookups = new Counter({
    name: 'cercapec_registry_lookups_total',
    help: 'Lookups asked of each source, by outcome (found, not_found, transient_error, permanent_error, skipped)',
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
  const lookupSeconds = new Histogram({
    name: 'cercapec_registry_lookup_duration_seconds',
    help: 'Time a source took to answer one lookup, cache hits excluded',
    labelNames: ['source'],
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120],
    registers: [registry],
  });
  const wire = new Counter({
    name: 'cercapec_registry_http_requests_total',
    help: 'HTTP requests made to each source, by outcome (ok, http_error, network_error, timeout)',
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
  const wireSeconds = new Histogram({
    name: 'cercapec_registry_http_duration_seconds',
    help: 'HTTP request latency per source',
    labelNames: ['source'],
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30],
    registers: [registry],
  });
  const cache = new Counter({
    name: 'cercapec_registry_cache_total',
    help: 'Registry answer cache lookups per source (hit or miss)',
    labelNames: ['source', 'result'],
    registers: [registry],
  });
  const breaker = new Gauge({
    name: 'cercapec_registry_breaker_state',
    help: 'Circuit breaker per source: 0 closed, 1 half-open, 2 open',
    labelNames: ['source'],
    registers: [registry],
  });
  return {
    registry,
    lookup(source, outcome, seconds) {
      lookups.inc({ source, outcome });
      if (outcome !== 'skipped') lookupSeconds.observe({ source }, seconds);
    },
    wire(source, outcome, seconds) {
      wire.inc({ source, outcome });
      wireSeconds.observe({ source }, seconds);
    },
    cache(source, result) {
      cache.inc({ source, result });
    },
    breaker(source, state) {
      breaker.set({ source }, BREAKER_VALUE[state]);
    },
  };
}
