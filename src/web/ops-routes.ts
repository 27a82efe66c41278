import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';

/**
 * For the people who run cercapec: Prometheus metrics of this process (per-source lookups by
 * outcome, latencies, breaker states, cache hits) and a health summary per source. With
 * CERCAPEC_METRICS_TOKEN set, both want `Authorization: Bearer <token>`.
 */
export async function opsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const token = services.config.metricsToken;
  const allowed = (request: FastifyRequest) => !token || sameSecret(request.headers.authorization ?? '', `Bearer ${token}`);

  app.get('/metrics', async (request, reply) => {
    if (!allowed(request)) return reply.code(401).type('text/plain').send('unauthorized\n');
    const body = await services.metrics.registry.metrics();
    return reply.type(services.metrics.registry.contentType).send(body);
  });

  app.get('/healthz/sources', async (request, reply) => {
    if (!allowed(request)) return reply.code(401).send({ status: 'unauthorized' });
    const sources = await Promise.all(services.registries.sources.map((s) => s.health()));
    const degraded = sources.some((s) => s.breaker !== 'closed');
    return { status: degraded ? 'degraded' : 'ok', sources };
  });
}

function sameSecret(a: string, b: string): boolean {
  // Hash first: timingSafeEqual wants equal lengths, and the length must not leak either.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
