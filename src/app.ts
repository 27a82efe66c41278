import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from './services.ts';
import { textProtocolRoutes } from './protocol/text/routes.ts';
import { pageRoutes } from './web/pages.ts';
import { securityHeaders } from './web/security-headers.ts';
import { authenticateKey } from './accounts/api-keys.ts';
import { createKeyCache } from './accounts/key-cache.ts';
import { createRateLimiter } from './protocol/rate-limiter.ts';
import { createAuthFailureThrottle } from './security/auth-failure-throttle.ts';
import { frontedServerFactory, serverOptions } from './security/server-limits.ts';
import { frameworkErrors } from './protocol/framework-errors.ts';
import { loggedPath } from './security/logged-path.ts';
import { jsonApi } from './protocol/json/plugin.ts';
import { openApiDocs } from './protocol/json/openapi.ts';
import { opsRoutes } from './web/ops-routes.ts';
import { adminPlugin } from './web/admin/plugin.ts';
import type { AdminDeps } from './web/admin/admin-context.ts';
import { scryptParams } from './users/password.ts';
import { portalPlugin } from './web/portal/plugin.ts';
import type { PortalDeps } from './web/portal/portal-context.ts';
import { createParseSlots } from './batches/parse-slots.ts';
import { notFoundHandler } from './web/not-found.ts';
import { createTextAnswerer } from './protocol/text/answer-request.ts';
import { createTextFastPath, type TextFastPath } from './protocol/text/fast-path.ts';
import { parseQueryString } from './protocol/query-string.ts';
import { clientIpReader } from './protocol/client-ip.ts';
import { createRequestIds } from './protocol/request-ids.ts';

/**
 * Builds the whole HTTP app without listening, so tests use inject() on exactly what runs.
 * Timeouts guard against slow clients; the request log never carries query strings (keys).
 */
export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const limits = serverOptions(config);
  const requestIds = createRequestIds();
  // The text protocol's fast path sees every request before Fastify (config.textFastPath); it
  // is set once the routes exist, and takes nothing before.
  let textFastPath: TextFastPath | null = null;
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    // Fastify's own request log writes the full URL, and GET /index_ws.php carries the key in it.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // Timeouts and header size from the configuration (docs/limits.md): slow clients are cut off.
    ...limits,
    frameworkErrors,
    return503OnClosing: true,
    // Shared with the fast path, which must number its requests and read fields as Fastify does.
    genReqId: requestIds,
    routerOptions: { querystringParser: parseQueryString },
    ...(config.textFastPath ? { serverFactory: frontedServerFactory(limits, (req, res) => textFastPath?.take(req, res) ?? false) } : {}),
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, path: loggedPath(req), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  // Shared by both protocols: the same lookups, keys, and one rate budget per account and address.
  const keys = createKeyCache((key: string) => authenticateKey(services.store, key), {
    ttlMs: config.keyCacheMs,
    clock: services.clock,
    epoch: services.store.authEpoch.value,
  });
  const protocolDeps = {
    lookups: services.lookups,
    authenticate: keys.authenticate,
    peekKey: keys.peek,
    accountLimiter: createRateLimiter(config.rateLimitPerKey, services.clock),
    ipLimiter: createRateLimiter(config.rateLimitPerIp, services.clock),
    authFailures: createAuthFailureThrottle(config.authFailuresPerMinute, services.clock, services.logger),
  };
  await app.register(securityHeaders);
  // Unknown URLs and methods, in each part's own style, never echoing the URL (src/web/not-found.ts).
  app.setNotFoundHandler(notFoundHandler());
  await app.register(openApiDocs);
  await app.register(pageRoutes);
  await app.register(textProtocolRoutes, { ...protocolDeps, bodyLimitBytes: config.bodyLimitBytes });
  await app.register(jsonApi, {
    ...protocolDeps,
    prefix: '/v1',
    allowPrivateCallbacks: config.allowPrivateCallbacks,
    maxWaitSeconds: config.maxWaitSeconds,
    verifier: services.registries.sources.find((s) => s.id === 'inad' && s.verifyAddress !== undefined),
    batch: {
      maxRows: config.batchMaxRows,
      maxBytes: config.batchMaxBytes,
      maxInflatedBytes: config.batchMaxInflatedBytes,
      xlsxConcurrency: config.batchXlsxConcurrency,
      xlsxWaitMs: config.batchXlsxWaitMs,
    },
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(async (scope) => opsRoutes(scope, { metricsToken: config.metricsToken, metrics: services.metrics, sources: services.registries.sources }));
  // The back office (docs/back-office.md): sessions, not API keys.
  await app.register(adminPlugin, { prefix: '/admin', ...adminOptions(services) });
  // The customer portal (docs/portal.md): customer users of one account, sessions of their own realm.
  await app.register(portalPlugin, { prefix: '/portal', ...portalOptions(services) });
  if (config.textFastPath) {
    const answerer = createTextAnswerer(protocolDeps);
    const fastPath = createTextFastPath({
      answer: answerer,
      pollNow: answerer.pollNow,
      parse: parseQueryString,
      clientIp: clientIpReader(config.trustProxy),
      requestId: requestIds,
      log: app.log,
      logsRequests: () => services.logger.isLevelEnabled('info'),
      bodyLimitBytes: config.bodyLimitBytes,
    });
    // While the app closes, Fastify answers every new request 503 (return503OnClosing).
    app.addHook('preClose', async () => fastPath.close());
    textFastPath = fastPath;
  }
  app.get('/readyz', async (_req, reply) => {
    try {
      await services.store.db.selectFrom('accounts').select('id').limit(1).execute();
      return { status: 'ready', store: services.store.dialect.name };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  return app;
}

/** The back office's dependencies from the shared services and the configuration. */
function adminOptions(services: Services): AdminDeps {
  const { config } = services;
  return {
    store: services.store,
    clock: services.clock,
    notifier: services.notifier,
    logger: services.logger,
    lookups: services.lookups,
    session: { idleMs: config.adminSessionIdleMinutes * 60_000, maxMs: config.adminSessionMaxHours * 3_600_000 },
    throttle: { failures: config.adminLockoutFailures, windowMs: config.adminLockoutMinutes * 60_000 },
    scrypt: scryptParams(config.passwordHashCost),
    loginLimiter: createRateLimiter(config.adminLoginsPerMinute, services.clock),
    operatorLeaseMs: config.operatorLeaseMinutes * 60_000,
    lowBalanceCents: config.lowBalanceCents,
  };
}

/** The portal's dependencies: the back office's session and login settings, the API's batch limits. */
function portalOptions(services: Services): PortalDeps {
  const { config } = services;
  return {
    store: services.store,
    clock: services.clock,
    logger: services.logger,
    lookups: services.lookups,
    session: { idleMs: config.adminSessionIdleMinutes * 60_000, maxMs: config.adminSessionMaxHours * 3_600_000 },
    throttle: { failures: config.adminLockoutFailures, windowMs: config.adminLockoutMinutes * 60_000 },
    scrypt: scryptParams(config.passwordHashCost),
    loginLimiter: createRateLimiter(config.adminLoginsPerMinute, services.clock),
    uploadDir: join(tmpdir(), 'cercapec-portal-uploads'),
    batch: { maxRows: config.batchMaxRows, maxBytes: config.batchMaxBytes, maxInflatedBytes: config.batchMaxInflatedBytes },
    allowPrivateCallbacks: config.allowPrivateCallbacks,
    // Its own slots, the API's size: a refused zip bomb costs memory while it is read (parse-slots.ts).
    xlsx: { slots: createParseSlots(config.batchXlsxConcurrency), waitMs: config.batchXlsxWaitMs },
  };
}
