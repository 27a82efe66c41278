import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { completeLogin } from '../users/login-second-step.ts';
import { html } from './admin/html.ts';
import { field, param } from './admin/admin-context.ts';
import type { LoginRoutesOptions } from './login-routes.ts';

type Page = (req: FastifyRequest, reply: FastifyReply, p: { error?: string | null; status?: number }) => FastifyReply;

/**
 * The second step of a login, for a user with a second factor: `form#totp` with one field,
 * `code` (six digits from the app, or a recovery code). The challenge cookie names the
 * pending login and opens no page by itself; the form carries the login form's CSRF token
 * (a double-submit cookie, like the first step). The limiter, the throttle and the challenge's
 * own few tries bound the guesses; an expired challenge sends the person back to the password.
 */
export function loginCodeRoutes(
  app: FastifyInstance,
  o: LoginRoutesOptions,
  step: { loginPage: Page; openSession: (req: FastifyRequest, reply: FastifyReply, sessionId: string) => Promise<FastifyReply> },
): void {
  const { deps, cookies } = o;

  function codePage(req: FastifyRequest, reply: FastifyReply, p: { error?: string | null; status?: number }) {
    const { t } = o.state(req);
    const token = cookies.issueLoginToken(req, reply);
    const next = o.safeNext(param(req, 'next') || field(req.body, 'next'));
    const body = html`<h1>${t.codeTitle}</h1>
<form id="totp" method="post" action="${o.base}/login/code" class="stack narrow">
  <input type="hidden" name="_csrf" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <div class="field"><label for="code">${t.codeLabel}</label>
  <input type="text" id="code" name="code" required autocomplete="one-time-code" inputmode="text" autocapitalize="off" spellcheck="false" maxlength="64" aria-describedby="code-hint" autofocus>
  <p class="hint" id="code-hint">${t.codeHint}</p></div>
  <button type="submit">${t.codeButton}</button>
</form>`;
    return o.render(req, reply, { title: t.codeTitle, body, error: p.error, status: p.status ?? 200 });
  }

  function backToPassword(req: FastifyRequest, reply: FastifyReply) {
    reply.clearCookie(cookies.challenge, cookies.options(req));
    return step.loginPage(req, reply, { error: o.state(req).t.codeExpired, status: 401 });
  }

  app.get('/login/code', { config: o.publicConfig }, async (req, reply) => {
    if (o.state(req).user) return reply.redirect(o.safeNext(param(req, 'next')), 303);
    if (!req.cookies[cookies.challenge]) return reply.redirect(`${o.base}/login`, 303);
    return codePage(req, reply, {});
  });

  app.post('/login/code', { config: o.publicConfig }, async (req, reply) => {
    const { t } = o.state(req);
    const challenge = req.cookies[cookies.challenge] ?? '';
    if (!challenge) return backToPassword(req, reply);
    if (!deps.loginLimiter.take(req.ip)) return codePage(req, reply, { error: t.tooManyLogins, status: 429 });
    const now = deps.clock.now();
    const result = await completeLogin(
      deps.store,
      { challenge, code: field(req.body, 'code'), address: req.ip, now },
      { session: deps.session, throttle: deps.throttle, realm: o.realm },
    );
    if (result.ok) {
      reply.clearCookie(cookies.challenge, cookies.options(req));
      return step.openSession(req, reply, result.sessionId);
    }
    if (result.reason === 'expired') return backToPassword(req, reply);
    if (result.reason === 'invalid') return codePage(req, reply, { error: t.codeInvalid, status: 401 });
    const seconds = Math.max(1, Math.ceil((result.retryAt - now) / 1000));
    reply.header('retry-after', String(seconds));
    return codePage(req, reply, { error: t.loginThrottled(seconds), status: 429 });
  });
}
