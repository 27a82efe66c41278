import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getAccount } from '../../accounts/accounts.ts';
import { resumeSession, csrfTokenFor } from '../../users/sessions.ts';
import { secretsEqual } from '../../security/constant-time.ts';
import { sameOrigin } from '../same-origin.ts';
import { MESSAGES, PORTAL_LANG_COOKIE, pickLang } from './i18n.ts';
import { portalState, type PortalDeps } from './portal-context.ts';
import { portalErrorPage } from './error-page.ts';
import { AccountStatus } from '../../accounts/account-status.ts';

export const PORTAL_SESSION_COOKIE = 'cercapec_portal';
/** Before login there is no session: the login form's CSRF token is a double-submit cookie. */
export const PORTAL_LOGIN_CSRF_COOKIE = 'cercapec_portal_login';
/** A login waiting for its second factor (src/users/login-challenge.ts): opens no page. */
export const PORTAL_CHALLENGE_COOKIE = 'cercapec_portal_code';

/** Who may open a portal route: anyone (login, assets) or a logged-in customer (the default). */
export type PortalAccess = 'public' | 'customer';

declare module 'fastify' {
  interface FastifyContextConfig {
    portalAccess?: PortalAccess;
  }
}

export function portalCookieOptions(req: FastifyRequest) {
  return { path: '/portal', httpOnly: true, sameSite: 'strict' as const, secure: req.protocol === 'https' };
}

export function issuePortalLoginToken(req: FastifyRequest, reply: FastifyReply): string {
  const token = randomBytes(32).toString('base64url');
  reply.setCookie(PORTAL_LOGIN_CSRF_COOKIE, token, { ...portalCookieOptions(req), maxAge: 3600 });
  return token;
}

/** The CSRF token a form sent: a urlencoded field, or a multipart field read before the file. */
function sentToken(req: FastifyRequest): string {
  const body = req.body as Record<string, unknown> | null | undefined;
  const value = body?._csrf;
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  // A multipart upload: the token travels in the query string of the form's action.
  const query = (req.query as Record<string, unknown> | undefined)?._csrf;
  return typeof query === 'string' ? query : '';
}

/**
 * The portal's gate, as hooks of its scope, like the back office's (src/web/admin/guard.ts):
 * - onRequest: the language; the session from its cookie, in the customer realm only (a staff
 *   session opens nothing here, a customer session nothing in /admin); routes that are not
 *   public send a visitor without a session to the login page.
 * - preHandler: every POST must pass the Origin check and carry the CSRF token.
 * - onSend: pages are never cached; Referrer-Policy same-origin (see sameOrigin).
 */
export function installPortalGuard(app: FastifyInstance, deps: PortalDeps): void {
  app.decorateRequest('portal', null as never);

  app.addHook('onRequest', async (req, reply) => {
    const { lang, chosen } = pickLang(req);
    if (chosen) reply.setCookie(PORTAL_LANG_COOKIE, chosen, { path: '/portal', sameSite: 'lax', maxAge: 365 * 86400, secure: req.protocol === 'https' });
    req.portal = { lang, t: MESSAGES[lang], user: null, sessionId: null, csrf: '', expired: false };
    const access = req.routeOptions.config?.portalAccess ?? 'customer';
    if (access === 'public' && req.routeOptions.url?.startsWith('/portal/assets')) return;
    const sessionId = req.cookies[PORTAL_SESSION_COOKIE];
    if (sessionId) {
      const user = await resumeSession(deps.store.db, sessionId, deps.clock.now(), deps.session, 'customer');
      if (user?.accountId) Object.assign(req.portal, { user, sessionId, csrf: csrfTokenFor(sessionId) });
      else {
        req.portal.expired = true;
        reply.clearCookie(PORTAL_SESSION_COOKIE, portalCookieOptions(req));
      }
    }
    if (req.portal.user && access !== 'public' && !req.url.startsWith('/portal/logout')) {
      // A disabled account (the API refuses its keys) opens no page of the portal either.
      const account = await getAccount(deps.store, req.portal.user.accountId);
      if (account?.status !== AccountStatus.active) return portalErrorPage(req, reply, 403, undefined, req.portal.t.accountDisabled);
    }
    if (access === 'public' || req.portal.user) return;
    const query = new URLSearchParams({ ...(req.portal.expired ? { expired: '1' } : {}), ...(req.method === 'GET' ? { next: req.url } : {}) });
    return reply.redirect(`/portal/login${query.size > 0 ? `?${query}` : ''}`, 303);
  });

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const state = portalState(req);
    const expected = req.routeOptions.config?.portalAccess === 'public' ? (req.cookies[PORTAL_LOGIN_CSRF_COOKIE] ?? '') : state.csrf;
    if (!sameOrigin(req) || !secretsEqual(sentToken(req), expected)) {
      req.log.warn({ path: req.url.split('?')[0], origin: req.headers.origin ?? null }, 'portal: POST refused (origin or CSRF token)');
      return portalErrorPage(req, reply, 403, 'csrf');
    }
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });
}
