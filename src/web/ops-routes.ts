import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registries } from '../registries/build-registries.ts';
import type { RegistryMetrics } from '../registries/metrics.ts';
import { secretsEqual } from '../security/constant-time.ts';

export interface OpsOptions {
  /** When set, both routes want `Authorization: Bearer <token>` (config metricsToken). */
  metricsToken?: string;
  metrics: Pick<RegistryMetrics, 'registry'>;
  sources: Registries['sources'];
}

/**
 * For the people who run cercapec: Prometheus metrics of this process (per-source lookups by
 * outcome, latencies, breaker states, cache hits) and a health summary per source. With
 * CERCAPEC_METRICS_TOKEN set, both want `Authorization: Bearer <token>`.
 */
export async function opsRoutes(app: FastifyInstance, o: OpsOptions): Promise<void> {
  const token = o.metricsToken;
  const allowed = (request: FastifyRequest) => !token || secretsEqual(request.headers.authorization ?? '', `Bearer ${token}`);

  app.get('/metrics', async (request, reply) => {
    if (!allowed(request)) return reply.code(401).type('text/plain').send('unauthorized\n');
    const body = await o.metrics.registry.metrics();
    return reply.type(o.metrics.registry.contentType).send(body);
  });

  app.get('/healthz/sources', async (request, reply) => {
    if (!allowed(request)) return reply.code(401).send({ status: 'unauthorized' });
    const sources = await Promise.all(o.sources.map((s) => s.health()));
    const degraded = sources.some((s) => s.breaker !== 'closed');
    return { status: degraded ? 'degraded' : 'ok', sources };
  });
}
