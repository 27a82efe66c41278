import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getUser, type User } from '../../../users/users.ts';
import { resetTotp } from '../../../users/totp-enrolment.ts';
import { page } from '../layout.ts';
import { auditBy, field, stateOf, type AdminDeps } from '../admin-context.ts';
import { errorPage } from '../error-page.ts';
import { confirmPage } from '../views/confirm-view.ts';

const ADMIN = { config: { access: 'admin' as const } };
type WithId = { Params: { id: string } };

/**
 * An admin resets someone's second factor (a lost phone and lost recovery codes): a
 * confirmation page, then the reset, audited as user.totp_reset. The person logs in with the
 * password alone afterwards and can turn it on again from their profile.
 */
export function userTotpRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps;

  async function userOr404(req: FastifyRequest<WithId>, reply: FastifyReply): Promise<User | null> {
    const user = await getUser(store, req.params.id);
    if (!user) errorPage(req, reply, 404);
    return user;
  }

  app.get<WithId>('/users/:id/totp-reset', ADMIN, async (req, reply) => {
    const { t } = stateOf(req);
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const back = `/admin/users/${user.id}`;
    const body = confirmPage(req, {
      title: t.totpResetTitle(user.username),
      text: t.totpResetText,
      action: `${back}/totp-reset`,
      button: t.totpResetConfirm,
      backHref: back,
    });
    return reply.type('text/html; charset=utf-8').send(page(req, { title: t.totpResetTitle(user.username), body, section: 'users' }).text);
  });

  app.post<WithId>('/users/:id/totp-reset', ADMIN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    if (field(req.body, 'confirm') !== '1') return reply.redirect(`/admin/users/${user.id}/totp-reset`, 303);
    await resetTotp(store, user, clock.now(), auditBy(req));
    return reply.redirect(`/admin/users/${user.id}?done=totp-reset`, 303);
  });
}
