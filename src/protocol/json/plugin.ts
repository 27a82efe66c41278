import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { isCercapecError } from '../../errors.ts';
import { problemForCode, sendProblem } from './problems.ts';
import type { JsonApiDeps } from './context.ts';
import { noAuthFailureThrottle } from '../../security/auth-failure-throttle.ts';
import { lookupRoutes } from './routes/lookups.ts';
import { accountRoutes } from './routes/account.ts';
import { batchRoutes } from './routes/batches.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { watchRoutes } from './routes/watches.ts';
import { verificationRoutes } from './routes/verifications.ts';
import { searchRoutes } from './routes/search.ts';

/**
 * /v1: the JSON API. Same accounts, keys, billing and requests as the text protocol; errors are
 * RFC 9457 problem+json. Registered with prefix /v1.
 */
export async function jsonApi(app: FastifyInstance, options: JsonApiDeps & { prefix?: string }): Promise<void> {
  // Fastify hands the registration options (prefix included) down: keep only the dependencies.
  const { prefix: _prefix, ...deps } = options;
  const authFailures = deps.authFailures ?? noAuthFailureThrottle;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('account', null);
  // JSON only: anything else is a 415 problem rather than a schema error about a string body.
  app.removeContentTypeParser(['text/plain']);

  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    if (!deps.ipLimiter.take(req.ip) || authFailures.blocked(req.ip)) return sendProblem(reply, 'rate_limited');
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S{1,200})$/i.exec(header);
    const account = match ? await deps.authenticate(match[1]) : null;
    if (match && !account) authFailures.failed(req.ip, 'key');
    if (!account) return sendProblem(reply, 'unauthorized', match ? 'unknown, revoked or disabled key' : 'send Authorization: Bearer <key>');
    if (!deps.accountLimiter.take(account.id)) return sendProblem(reply, 'rate_limited');
    req.account = account;
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const detail = error.validation.map((v) => `${v.instancePath || '/'} ${v.message}`).join('; ');
      return sendProblem(reply, 'invalid_request', detail.slice(0, 500));
    }
    if (isCercapecError(error)) return sendProblem(reply, problemForCode(error.code), error.message);
    const status = error.statusCode ?? 500;
    if (status === 413) return sendProblem(reply, 'payload_too_large');
    if (status === 415) return sendProblem(reply, 'unsupported_media_type', 'send application/json');
    // Fastify's own 4xx messages are fixed sentences about the request; anything else may carry an exception's text.
    if (status >= 400 && status < 500)
      return sendProblem(reply, 'invalid_request', error.code?.startsWith('FST_') ? error.message.slice(0, 300) : 'the request cannot be read');
    req.log.error({ err: error }, 'JSON API failure');
    return sendProblem(reply, 'unavailable');
  });
  // An id (lookup, batch, delivery) the account does not have counts as a failed try, like an unknown key.
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 404 && req.account && req.routeOptions.url?.includes(':id')) authFailures.failed(req.ip, 'token');
  });
  app.setNotFoundHandler((_req, reply) => sendProblem(reply, 'not_found', 'no such endpoint'));

  await app.register(lookupRoutes, deps);
  await app.register(accountRoutes, deps);
  await app.register(batchRoutes, deps);
  await app.register(webhookRoutes, deps);
  await app.register(watchRoutes, deps);
  await app.register(verificationRoutes, deps);
  await app.register(searchRoutes, deps);
}
