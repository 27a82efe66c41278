import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { User } from '../users/users.ts';
import { login, logout } from '../users/login.ts';
import { endSession, type Realm, type SessionPolicy } from '../users/sessions.ts';
import type { ThrottlePolicy } from '../users/login-throttle.ts';
import type { ScryptParams } from '../users/password.ts';
import type { RateLimiter } from '../protocol/rate-limiter.ts';
import { html, type HtmlValue } from './admin/html.ts';
import { field, param } from './admin/admin-context.ts';
import { CHALLENGE_MS } from '../users/login-challenge.ts';
import { loginCodeRoutes } from './login-code-routes.ts';

/** The words of a login page, which the back office and the portal both have. */
export interface LoginMessages {
  loginTitle: string;
  username: string;
  password: string;
  loginButton: string;
  loggedOut: string;
  sessionExpired: string;
  tooManyLogins: string;
  loginInvalid: string;
  loginThrottled: (seconds: number) => string;
  /** The second step, for a user with a second factor (src/web/login-code-routes.ts). */
  codeTitle: string;
  codeLabel: string;
  codeHint: string;
  codeButton: string;
  codeInvalid: string;
  codeExpired: string;
}

/** What a login route reads of its part of the site's per-request state. */
export interface LoginState {
  t: LoginMessages;
  user: User | null;
  sessionId: string | null;
  expired: boolean;
}

export interface LoginCookies {
  session: string;
  /** The login form's double-submit CSRF cookie. */
  loginCsrf: string;
  /** The pending second step's token (a login challenge), for a few minutes. */
  challenge: string;
  options: (req: FastifyRequest) => { path: string; httpOnly: boolean; sameSite: 'strict'; secure: boolean };
  /** Sets a fresh login-form token as a cookie and returns it for the form. */
  issueLoginToken: (req: FastifyRequest, reply: FastifyReply) => string;
}

export interface LoginRoutesOptions {
  /** '/admin' or '/portal': the form's action and the page after logout. */
  base: string;
  realm: Realm;
  /** The route config that makes a route public in this part's guard. */
  publicConfig: FastifyContextConfig;
  state: (req: FastifyRequest) => LoginState;
  /** Only a path inside this part of the site (no open redirect). */
  safeNext: (next: string) => string;
  /** The whole page around a body, sent with the status. */
  render: (
    req: FastifyRequest,
    reply: FastifyReply,
    o: { title: string; body: HtmlValue; error?: string | null; notice?: string | null; status: number },
  ) => FastifyReply;
  cookies: LoginCookies;
  deps: { store: Store; clock: Clock; session: SessionPolicy; throttle: ThrottlePolicy; scrypt: ScryptParams; loginLimiter: RateLimiter };
}

/**
 * Login and logout for one part of the site (the back office, the portal): the same form
 * (`form#login`, fields `username`, `password`), throttle and limiter, in that part's realm.
 * A user with a second factor is sent on to the code step (`form#totp`, login-code-routes.ts)
 * with a challenge cookie, and gets the session cookie only after the code.
 */
export function loginRoutes(app: FastifyInstance, o: LoginRoutesOptions): void {
  const { deps, cookies } = o;

  function loginPage(req: FastifyRequest, reply: FastifyReply, p: { username?: string; error?: string | null; notice?: string | null; status?: number }) {
    const { t } = o.state(req);
    const token = cookies.issueLoginToken(req, reply);
    const next = o.safeNext(param(req, 'next') || field(req.body, 'next'));
    const body = html`<h1>${t.loginTitle}</h1>
<form id="login" method="post" action="${o.base}/login" class="stack narrow">
  <input type="hidden" name="_csrf" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <div class="field"><label for="username">${t.username}</label>
  <input type="text" id="username" name="username" value="${p.username ?? ''}" required autocomplete="username" autocapitalize="off" spellcheck="false" maxlength="64"${!p.username && ' autofocus'}></div>
  <div class="field"><label for="password">${t.password}</label>
  <input type="password" id="password" name="password" required autocomplete="current-password" maxlength="1024"${p.username && ' autofocus'}></div>
  <button type="submit">${t.loginButton}</button>
</form>`;
    return o.render(req, reply, { title: t.loginTitle, body, error: p.error, notice: p.notice, status: p.status ?? 200 });
  }

  app.get('/login', { config: o.publicConfig }, async (req, reply) => {
    const { t, user, expired } = o.state(req);
    if (user) return reply.redirect(o.safeNext(param(req, 'next')), 303);
    const notice = param(req, 'out') ? t.loggedOut : null;
    return loginPage(req, reply, { error: expired || param(req, 'expired') ? t.sessionExpired : null, notice });
  });

  app.post('/login', { config: o.publicConfig }, async (req, reply) => {
    const { t } = o.state(req);
    const username = field(req.body, 'username');
    if (!deps.loginLimiter.take(req.ip)) return loginPage(req, reply, { username, error: t.tooManyLogins, status: 429 });
    const now = deps.clock.now();
    const result = await login(
      deps.store,
      { username, password: field(req.body, 'password'), address: req.ip, now },
      { session: deps.session, throttle: deps.throttle, scrypt: deps.scrypt, realm: o.realm },
    );
    if (!result.ok) {
      if (result.reason === 'second-factor') {
        reply.setCookie(cookies.challenge, result.challenge, { ...cookies.options(req), maxAge: CHALLENGE_MS / 1000 });
        return reply.redirect(`${o.base}/login/code?${new URLSearchParams({ next: o.safeNext(field(req.body, 'next')) })}`, 303);
      }
      if (result.reason === 'invalid') return loginPage(req, reply, { username, error: t.loginInvalid, status: 401 });
      const seconds = Math.max(1, Math.ceil((result.retryAt - now) / 1000));
      reply.header('retry-after', String(seconds));
      return loginPage(req, reply, { username, error: t.loginThrottled(seconds), status: 429 });
    }
    return openSession(req, reply, result.sessionId);
  });

  /** The login succeeded (password, and code when asked): the session cookie, then the page asked for. */
  async function openSession(req: FastifyRequest, reply: FastifyReply, sessionId: string) {
    // A session this browser had before (another tab) ends: one session per cookie.
    const previous = o.state(req).sessionId;
    if (previous) await endSession(deps.store.db, previous);
    reply.clearCookie(cookies.loginCsrf, cookies.options(req));
    reply.setCookie(cookies.session, sessionId, cookies.options(req));
    return reply.redirect(o.safeNext(field(req.body, 'next')), 303);
  }

  loginCodeRoutes(app, o, { loginPage, openSession });

  app.post('/logout', async (req, reply) => {
    const { sessionId, user } = o.state(req);
    if (!sessionId || !user) throw new Error(`${o.base}/logout without a session`);
    await logout(deps.store, sessionId, user, deps.clock.now());
    reply.clearCookie(cookies.session, cookies.options(req));
    return reply.redirect(`${o.base}/login?out=1`, 303);
  });
}

/** Only a path inside `base` ('/admin', '/portal') that is not its login or logout: never another host (no open redirect). */
export function safeNextIn(base: string, next: string): string {
  const inside = new RegExp(`^${base}(\\/[^/\\\\]|$|\\?)`).test(next);
  return inside && !next.startsWith(`${base}/login`) && !next.startsWith(`${base}/logout`) ? next : base;
}
