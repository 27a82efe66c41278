import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { totpState } from '../../../users/second-factor.ts';
import { confirmTotp, disableTotp, startTotp } from '../../../users/totp-enrolment.ts';
import { setFlash, takeFlash } from '../../../users/session-flash.ts';
import type { SafeHtml } from '../html.ts';
import { page } from '../layout.ts';
import { auditBy, field, param, stateOf, userOf, type AdminDeps } from '../admin-context.ts';
import { disablePage, enrolPage, profilePage } from '../views/totp-views.ts';

/**
 * The person's own profile (/admin/me, every staff member) and their second factor: enrolment
 * (a secret, then the first code, then the recovery codes shown once after the redirect) and
 * turning it off with the password and a code. The users module audits every change.
 */
export function meRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps;
  const send = (req: FastifyRequest, reply: FastifyReply, o: { title: string; body: SafeHtml; notice?: string | null; status?: number }) =>
    reply
      .code(o.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(page(req, { title: o.title, body: o.body, section: 'me', notice: o.notice }).text);

  app.get('/me', async (req, reply) => {
    const { t, sessionId } = stateOf(req);
    const me = userOf(req);
    const notices: Record<string, string> = { 'totp-on': t.totpEnabled, 'totp-off': t.totpDisabled };
    const done = param(req, 'done');
    const flash = await takeFlash(store.db, sessionId!, (f) => f.recoveryCodes?.userId === me.id);
    const body = profilePage(req, await totpState(store.db, me.id), { recoveryCodes: flash?.recoveryCodes?.codes });
    return send(req, reply, { title: t.navMe, body, notice: Object.hasOwn(notices, done) ? notices[done] : null });
  });

  app.get('/me/totp', async (req, reply) => {
    const state = await totpState(store.db, userOf(req).id);
    if (state.enabledAt !== null) return reply.redirect('/admin/me', 303);
    return send(req, reply, { title: stateOf(req).t.totpTitle, body: enrolPage(req, state.pendingSecret, null) });
  });

  app.post('/me/totp/start', async (req, reply) => {
    const state = await totpState(store.db, userOf(req).id);
    if (state.enabledAt === null) await startTotp(store, userOf(req), clock.now());
    return reply.redirect('/admin/me/totp', 303);
  });

  app.post('/me/totp', async (req, reply) => {
    const { t, sessionId } = stateOf(req);
    const me = userOf(req);
    const codes = await confirmTotp(store, me, field(req.body, 'code'), clock.now(), auditBy(req));
    if (!codes) {
      const state = await totpState(store.db, me.id);
      if (state.enabledAt !== null) return reply.redirect('/admin/me', 303);
      return send(req, reply, { title: t.totpTitle, body: enrolPage(req, state.pendingSecret, t.totpWrongCode), status: 400 });
    }
    await setFlash(store.db, sessionId!, { recoveryCodes: { userId: me.id, codes } });
    return reply.redirect('/admin/me?done=totp-on', 303);
  });

  app.get('/me/totp/disable', async (req, reply) => {
    const state = await totpState(store.db, userOf(req).id);
    if (state.enabledAt === null) return reply.redirect('/admin/me', 303);
    return send(req, reply, { title: stateOf(req).t.totpDisableTitle, body: disablePage(req, null) });
  });

  app.post('/me/totp/disable', async (req, reply) => {
    const { t } = stateOf(req);
    // Each try costs a scrypt hash, and guesses a password: the login limiter bounds both.
    if (!deps.loginLimiter.take(req.ip)) return send(req, reply, { title: t.totpDisableTitle, body: disablePage(req, t.tooManyLogins), status: 429 });
    const input = { password: field(req.body, 'password'), code: field(req.body, 'code') };
    if (!(await disableTotp(store, userOf(req), input, clock.now(), auditBy(req)))) {
      return send(req, reply, { title: t.totpDisableTitle, body: disablePage(req, t.totpDisableWrong), status: 400 });
    }
    return reply.redirect('/admin/me?done=totp-off', 303);
  });
}
