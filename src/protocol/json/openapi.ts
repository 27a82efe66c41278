import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * /openapi.json (OpenAPI 3.1) generated from the zod schemas that validate the routes, and a
 * /docs page served from the package (no CDN). Registered before the routes so it sees them all.
 */
export const openApiDocs = fp(async function openApiDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'cercapec JSON API',
        version: '1.0.0',
        description: 'PEC lookups by codice fiscale or partita IVA. The same accounts, keys, billing and requests as the text protocol at /index_ws.php: a lookup id is the text protocol token. Errors are application/problem+json (RFC 9457).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Your API key' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
