import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { isCercapecError, ErrorCode } from '../../errors.ts';
import { portalState, PortalFormError, type PortalDeps } from './portal-context.ts';
import { installPortalGuard } from './guard.ts';
import { purgeUploads } from './upload-store.ts';
import { portalErrorPage } from './error-page.ts';
import { portalAssetRoutes } from './routes/assets.ts';
import { portalAuthRoutes } from './routes/auth.ts';
import { portalHomeRoutes } from './routes/home.ts';
import { portalUploadRoutes } from './routes/uploads.ts';
import { portalBatchRoutes } from './routes/batches.ts';
import { portalAccountRoutes } from './routes/account.ts';
import { portalKeyRoutes } from './routes/keys.ts';
import { portalWebhookRoutes } from './routes/webhook.ts';
import { portalSearchRoutes } from './routes/search.ts';

const NOT_FOUND: readonly string[] = [ErrorCode.accountNotFound, ErrorCode.keyNotFound, ErrorCode.keyOfAnotherAccount, ErrorCode.lookupNotFound];

/**
 * The customer portal under /portal (docs/portal.md): server-rendered pages for the people of
 * one account, behind a login in the customer realm (src/users/sessions.ts). Its own scope:
 * cookies, form and multipart bodies, the guard (sessions, CSRF) and one error handler.
 * Every query is narrowed to the logged-in customer's account (accountIdOf).
 *
 * @example
 * await app.register(portalPlugin, { prefix: '/portal', ...portalDeps });
 */
export async function portalPlugin(app: FastifyInstance, options: PortalDeps & { prefix?: string }): Promise<void> {
  const { prefix: _prefix, ...deps } = options;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  // One file per upload, streamed to disk by the handler (src/web/portal/upload-store.ts).
  await app.register(multipart, { limits: { files: 1, fields: 5, parts: 6, fieldSize: 4096, fileSize: deps.batch.maxBytes + 1, headerPairs: 50 } });
  installPortalGuard(app, deps);
  // Unconfirmed uploads hold people's codes: gone within UPLOAD_TTL_MS plus an hour, traffic or not.
  const sweep = setInterval(() => {
    purgeUploads(deps.uploadDir).catch((error: unknown) => deps.logger.warn({ err: error }, 'portal: purging old uploads failed'));
  }, 3_600_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
    const { t } = portalState(req);
    if (error instanceof PortalFormError) return portalErrorPage(req, reply, error.status, undefined, t[error.messageKey] as string);
    if (isCercapecError(error)) {
      if (NOT_FOUND.includes(error.code)) return portalErrorPage(req, reply, 404);
      return portalErrorPage(req, reply, 400, undefined, error.message);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return portalErrorPage(req, reply, status, undefined, t.invalidInput);
    req.log.error({ err: error }, 'portal failure');
    return portalErrorPage(req, reply, 500);
  });
  app.setNotFoundHandler((req, reply) => portalErrorPage(req, reply, 404));

  portalAssetRoutes(app);
  portalAuthRoutes(app, deps);
  portalHomeRoutes(app, deps);
  portalUploadRoutes(app, deps);
  portalBatchRoutes(app, deps);
  portalAccountRoutes(app, deps);
  portalKeyRoutes(app, deps);
  portalSearchRoutes(app, deps);
  portalWebhookRoutes(app, deps);
}
