import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { isCercapecError, ErrorCode } from '../../errors.ts';
import { FormError, stateOf, type AdminDeps } from './admin-context.ts';
import { installGuard } from './guard.ts';
import { errorPage } from './error-page.ts';
import { assetRoutes } from './routes/assets.ts';
import { authRoutes } from './routes/auth.ts';
import { userRoutes } from './routes/users.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { queueRoutes } from './routes/queue.ts';
import { requestRoutes } from './routes/requests.ts';
import { accountRoutes } from './routes/accounts.ts';
import { auditRoutes } from './routes/audit.ts';
import { accountUserRoutes } from './routes/account-users.ts';
import { meRoutes } from './routes/me.ts';
import { userTotpRoutes } from './routes/user-totp.ts';

const NOT_FOUND: readonly string[] = [ErrorCode.accountNotFound, ErrorCode.keyNotFound, ErrorCode.lookupNotFound, ErrorCode.userNotFound];

/**
 * The back office under /admin (docs/back-office.md): server-rendered pages for admins and
 * operators, behind a login with sessions kept in the store. Register with prefix /admin.
 * Its own scope: cookies, form bodies, the guard (sessions, roles, CSRF) and one error
 * handler apply to these routes only, and nothing of the API (keys, problem+json) applies here.
 *
 * @example
 * await app.register(adminPlugin, { prefix: '/admin', ...adminDeps });
 */
export async function adminPlugin(app: FastifyInstance, options: AdminDeps & { prefix?: string }): Promise<void> {
  const { prefix: _prefix, ...deps } = options;
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  installGuard(app, deps);

  app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
    const { t } = stateOf(req);
    if (error instanceof FormError) return errorPage(req, reply, error.status, undefined, t[error.messageKey] as string);
    if (isCercapecError(error)) {
      if (NOT_FOUND.includes(error.code)) return errorPage(req, reply, 404);
      return errorPage(req, reply, 400, undefined, error.message);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return errorPage(req, reply, status, undefined, error.message);
    req.log.error({ err: error }, 'back office failure');
    return errorPage(req, reply, 500);
  });
  app.setNotFoundHandler((req, reply) => errorPage(req, reply, 404));

  assetRoutes(app);
  authRoutes(app, deps);
  dashboardRoutes(app, deps);
  queueRoutes(app, deps);
  requestRoutes(app, deps);
  accountRoutes(app, deps);
  auditRoutes(app, deps);
  accountUserRoutes(app, deps);
  userRoutes(app, deps);
  userTotpRoutes(app, deps);
  meRoutes(app, deps);
}
