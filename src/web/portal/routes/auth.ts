import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { login, logout } from '../../../users/login.ts';
import { endSession } from '../../../users/sessions.ts';
import { html } from '../../admin/html.ts';
import { field, param } from '../../admin/admin-context.ts';
import { portalPage } from '../layout.ts';
import { portalState, type PortalDeps } from '../portal-context.ts';
import { issuePortalLoginToken, PORTAL_LOGIN_CSRF_COOKIE, PORTAL_SESSION_COOKIE, portalCookieOptions } from '../guard.ts';
import { sendPage } from '../error-page.ts';

/** Only a path inside the portal: never another host (no open redirect). */
export function safePortalNext(next: string): string {
  return /^\/portal(\/[^/\\]|$|\?)/.test(next) && !next.startsWith('/portal/login') && !next.startsWith('/portal/logout') ? next : '/portal';
}

function loginPage(req: FastifyRequest, reply: FastifyReply, o: { username?: string; error?: string | null; notice?: string | null; status?: number }) {
  const { t } = portalState(req);
  const token = issuePortalLoginToken(req, reply);
  const next = safePortalNext(param(req, 'next') || field(req.body, 'next'));
  const body = html`<h1>${t.loginTitle}</h1>
<form id="login" method="post" action="/portal/login" class="stack narrow">
  <input type="hidden" name="_csrf" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <div class="field"><label for="username">${t.username}</label>
  <input type="text" id="username" name="username" value="${o.username ?? ''}" required autocomplete="username" autocapitalize="off" spellcheck="false" maxlength="64"${!o.username && ' autofocus'}></div>
  <div class="field"><label for="password">${t.password}</label>
  <input type="password" id="password" name="password" required autocomplete="current-password" maxlength="1024"${o.username && ' autofocus'}></div>
  <button type="submit">${t.loginButton}</button>
</form>`;
  return sendPage(reply, portalPage(req, { title: t.loginTitle, body, error: o.error, notice: o.notice }), o.status ?? 200);
}

/** Login and logout, with the back office's login rules (throttle, limiter), in the customer realm. */
export function portalAuthRoutes(app: FastifyInstance, deps: PortalDeps): void {
  app.get('/login', { config: { portalAccess: 'public' } }, async (req, reply) => {
    const { t, user, expired } = portalState(req);
    if (user) return reply.redirect(safePortalNext(param(req, 'next')), 303);
    const notice = param(req, 'out') ? t.loggedOut : null;
    return loginPage(req, reply, { error: expired || param(req, 'expired') ? t.sessionExpired : null, notice });
  });

  app.post('/login', { config: { portalAccess: 'public' } }, async (req, reply) => {
    const { t } = portalState(req);
    const username = field(req.body, 'username');
    if (!deps.loginLimiter.take(req.ip)) return loginPage(req, reply, { username, error: t.tooManyLogins, status: 429 });
    const now = deps.clock.now();
    const result = await login(
      deps.store,
      { username, password: field(req.body, 'password'), address: req.ip, now },
      { session: deps.session, throttle: deps.throttle, scrypt: deps.scrypt, realm: 'customer' },
    );
    if (!result.ok) {
      if (result.reason === 'invalid') return loginPage(req, reply, { username, error: t.loginInvalid, status: 401 });
      const seconds = Math.max(1, Math.ceil((result.retryAt - now) / 1000));
      reply.header('retry-after', String(seconds));
      return loginPage(req, reply, { username, error: t.loginThrottled(seconds), status: 429 });
    }
    const previous = portalState(req).sessionId;
    if (previous) await endSession(deps.store.db, previous);
    reply.clearCookie(PORTAL_LOGIN_CSRF_COOKIE, portalCookieOptions(req));
    reply.setCookie(PORTAL_SESSION_COOKIE, result.sessionId, portalCookieOptions(req));
    return reply.redirect(safePortalNext(field(req.body, 'next')), 303);
  });

  app.post('/logout', async (req, reply) => {
    const { sessionId, user } = portalState(req);
    await logout(deps.store, sessionId!, user!, deps.clock.now());
    reply.clearCookie(PORTAL_SESSION_COOKIE, portalCookieOptions(req));
    return reply.redirect('/portal/login?out=1', 303);
  });
}
