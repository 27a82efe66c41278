import type { FastifyInstance } from 'fastify';
import { portalPage } from '../layout.ts';
import { portalState, type PortalDeps } from '../portal-context.ts';
import { issuePortalLoginToken, PORTAL_CHALLENGE_COOKIE, PORTAL_LOGIN_CSRF_COOKIE, PORTAL_SESSION_COOKIE, portalCookieOptions } from '../guard.ts';
import { sendPage } from '../error-page.ts';
import { loginRoutes, safeNextIn } from '../../login-routes.ts';

/** Only a path inside the portal: never another host (no open redirect). */
export function safePortalNext(next: string): string {
  return safeNextIn('/portal', next);
}

/** Login and logout, with the back office's login rules (throttle, limiter), in the customer realm. */
export function portalAuthRoutes(app: FastifyInstance, deps: PortalDeps): void {
  loginRoutes(app, {
    base: '/portal',
    realm: 'customer',
    publicConfig: { portalAccess: 'public' },
    state: portalState,
    safeNext: safePortalNext,
    render: (req, reply, o) => sendPage(reply, portalPage(req, o), o.status),
    cookies: {
      session: PORTAL_SESSION_COOKIE,
      loginCsrf: PORTAL_LOGIN_CSRF_COOKIE,
      challenge: PORTAL_CHALLENGE_COOKIE,
      options: portalCookieOptions,
      issueLoginToken: issuePortalLoginToken,
    },
    deps,
  });
}
