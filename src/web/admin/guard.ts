import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resumeSession, csrfTokenFor } from '../../users/sessions.ts';
import { secretsEqual } from '../../security/constant-time.ts';
import { LANG_COOKIE, MESSAGES, pickLang } from './i18n.ts';
import { field, stateOf, type AdminDeps } from './admin-context.ts';
import { errorPage } from './error-page.ts';

export const SESSION_COOKIE = 'cercapec_admin';
/** Before login there is no session: the login form's CSRF token is a double-submit cookie. */
export const LOGIN_CSRF_COOKIE = 'cercapec_admin_login';
/** A login waiting for its second factor (src/users/login-challenge.ts): opens no page. */
export const CHALLENGE_COOKIE = 'cercapec_admin_code';

const COOKIE_BASE = { path: '/admin', httpOnly: true, sameSite: 'strict' as const };

export function cookieOptions(req: FastifyRequest) {
  // Secure whenever the browser came over https (directly, or through a trusted proxy).
  return { ...COOKIE_BASE, secure: req.protocol === 'https' };
}

/** A fresh login-form token, set as a cookie; the form carries the same value. */
export function issueLoginToken(req: FastifyRequest, reply: FastifyReply): string {
  const token = randomBytes(32).toString('base64url');
  reply.setCookie(LOGIN_CSRF_COOKIE, token, { ...cookieOptions(req), maxAge: 3600 });
  return token;
}

/** This server's origin as the browser names it (URL drops a default port: Host may carry one). */
function ownOrigin(req: FastifyRequest): string {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return '';
  }
}

/**
 * A POST must come from our own pages: Origin (or, when a browser sends none, Referer) must be
 * this server. Browsers send Origin on every form POST; the pages set Referrer-Policy
 * same-origin, because under no-referrer a browser sends `Origin: null` even to itself.
 * A request with neither header (not a browser) is judged by the token alone.
 */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) return origin !== '' && origin === ownOrigin(req);
  const referer = req.headers.referer;
  if (referer === undefined) return true;
  try {
    return new URL(referer).origin === ownOrigin(req);
  } catch {
    return false;
  }
}

/**
 * The back office's gate, as hooks of its scope:
 * - onRequest: the language (a ?lang= choice is remembered in a cookie); the session from its
 *   cookie (API keys are never looked at: an Authorization header opens nothing here); routes
 *   that are not public send a visitor without a session to the login page, and a person
 *   without the route's role to a 403 page.
 * - preHandler (the body is read by then): every POST must pass the Origin check and carry the
 *   CSRF token: the session's, or the login form's double-submit cookie.
 * - onSend: pages are never cached (assets say otherwise), and carry Referrer-Policy same-origin (see sameOrigin).
 */
export function installGuard(app: FastifyInstance, deps: AdminDeps): void {
  app.decorateRequest('admin', null as never);

  app.addHook('onRequest', async (req, reply) => {
    const { lang, chosen } = pickLang(req);
    if (chosen) reply.setCookie(LANG_COOKIE, chosen, { path: '/admin', sameSite: 'lax', maxAge: 365 * 86400, secure: req.protocol === 'https' });
    req.admin = { lang, t: MESSAGES[lang], user: null, sessionId: null, csrf: '', expired: false };
    const access = req.routeOptions.config?.access ?? 'staff';
    if (access === 'public' && req.routeOptions.url?.startsWith('/admin/assets')) return;
    const sessionId = req.cookies[SESSION_COOKIE];
    if (sessionId) {
      const user = await resumeSession(deps.store.db, sessionId, deps.clock.now(), deps.session);
      if (user) Object.assign(req.admin, { user, sessionId, csrf: csrfTokenFor(sessionId) });
      else {
        req.admin.expired = true;
        reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
      }
    }
    if (access === 'public') return;
    const { user } = req.admin;
    if (!user) {
      const query = new URLSearchParams({ ...(req.admin.expired ? { expired: '1' } : {}), ...(req.method === 'GET' ? { next: req.url } : {}) });
      return reply.redirect(`/admin/login${query.size > 0 ? `?${query}` : ''}`, 303);
    }
    if (access === 'admin' && user.role !== 'admin') return errorPage(req, reply, 403);
  });

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const state = stateOf(req);
    const given = field(req.body, '_csrf');
    // The login form (the only public POST) carries the login cookie's token, even when another
    // tab has logged in meanwhile; every other form carries the session's.
    const expected = req.routeOptions.config?.access === 'public' ? (req.cookies[LOGIN_CSRF_COOKIE] ?? '') : state.csrf;
    if (!sameOrigin(req) || !secretsEqual(given, expected)) {
      req.log.warn({ path: req.url.split('?')[0], origin: req.headers.origin ?? null }, 'admin: POST refused (origin or CSRF token)');
      return errorPage(req, reply, 403, 'csrf');
    }
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });
}
