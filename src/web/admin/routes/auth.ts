import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { login, logout } from '../../../users/login.ts';
import { endSession } from '../../../users/sessions.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { field, param, stateOf, userOf, type AdminDeps } from '../admin-context.ts';
import { cookieOptions, issueLoginToken, LOGIN_CSRF_COOKIE, SESSION_COOKIE } from '../guard.ts';

/** Only a path inside the back office: never another host (no open redirect). */
function safeNext(next: string): string {
  return /^\/admin(\/[^/\\]|$|\?)/.test(next) && !next.startsWith('/admin/login') && !next.startsWith('/admin/logout') ? next : '/admin';
}

function loginPage(req: FastifyRequest, reply: FastifyReply, o: { username?: string; error?: string | null; notice?: string | null; status?: number }) {
  const { t } = stateOf(req);
  const token = issueLoginToken(req, reply);
  const next = safeNext(param(req, 'next') || field(req.body, 'next'));
  const body = html`<h1>${t.loginTitle}</h1>
<form method="post" action="/admin/login" class="stack narrow">
  <input type="hidden" name="_csrf" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <div class="field"><label for="username">${t.username}</label>
  <input type="text" id="username" name="username" value="${o.username ?? ''}" required autocomplete="username" autocapitalize="off" spellcheck="false" maxlength="64"${!o.username && ' autofocus'}></div>
  <div class="field"><label for="password">${t.password}</label>
  <input type="password" id="password" name="password" required autocomplete="current-password" maxlength="1024"${o.username && ' autofocus'}></div>
  <button type="submit">${t.loginButton}</button>
</form>`;
  return reply
    .code(o.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(page(req, { title: t.loginTitle, body, error: o.error, notice: o.notice }).text);
}

export function authRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/login', { config: { access: 'public' } }, async (req, reply) => {
    const { t, user, expired } = stateOf(req);
    if (user) return reply.redirect(safeNext(param(req, 'next')), 303);
    const notice = param(req, 'out') ? t.loggedOut : null;
    return loginPage(req, reply, { error: expired || param(req, 'expired') ? t.sessionExpired : null, notice });
  });

  app.post('/login', { config: { access: 'public' } }, async (req, reply) => {
    const { t } = stateOf(req);
    const username = field(req.body, 'username');
    if (!deps.loginLimiter.take(req.ip)) return loginPage(req, reply, { username, error: t.tooManyLogins, status: 429 });
    const now = deps.clock.now();
    const result = await login(
      deps.store,
      { username, password: field(req.body, 'password'), address: req.ip, now },
      { session: deps.session, throttle: deps.throttle, scrypt: deps.scrypt },
    );
    if (!result.ok) {
      if (result.reason === 'invalid') return loginPage(req, reply, { username, error: t.loginInvalid, status: 401 });
      const seconds = Math.max(1, Math.ceil((result.retryAt - now) / 1000));
      reply.header('retry-after', String(seconds));
      return loginPage(req, reply, { username, error: t.loginThrottled(seconds), status: 429 });
    }
    // A session this browser had before (another tab) ends: one session per cookie.
    const previous = stateOf(req).sessionId;
    if (previous) await endSession(deps.store.db, previous);
    reply.clearCookie(LOGIN_CSRF_COOKIE, cookieOptions(req));
    reply.setCookie(SESSION_COOKIE, result.sessionId, cookieOptions(req));
    return reply.redirect(safeNext(field(req.body, 'next')), 303);
  });

  app.post('/logout', async (req, reply) => {
    await logout(deps.store, stateOf(req).sessionId!, userOf(req), deps.clock.now());
    reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
    return reply.redirect('/admin/login?out=1', 303);
  });
}
