import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../security/response-headers.ts';

/** Security headers on every answer (src/security/response-headers.ts); /docs keeps its own policy. */
export const securityHeaders = fp(async function securityHeaders(app: FastifyInstance) {
  app.addHook('onSend', async (req, reply, payload) => {
    for (const [name, value] of SECURITY_HEADERS) reply.header(name, value);
    if (!req.url.startsWith('/docs') && !reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    }
    return payload;
  });
});
