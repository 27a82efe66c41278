import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getAccount } from '../../../accounts/accounts.ts';
import {
  checkPassword,
  createUser,
  findUser,
  getUser,
  listUsers,
  normalizeUsername,
  setPassword,
  setUserStatus,
  UserRole,
  type User,
} from '../../../users/users.ts';
import { generatePassword } from '../../../users/password.ts';
import { UserStatus } from '../../../users/user-status.ts';
import { setFlash, takeFlash } from '../../../users/session-flash.ts';
import { totpState } from '../../../users/second-factor.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { auditBy, field, param, stateOf, type AdminDeps } from '../admin-context.ts';
import { errorPage } from '../error-page.ts';
import { confirmPage } from '../views/confirm-view.ts';
import { formValues } from '../views/account-views.ts';
import { userPage, usersPage } from '../views/user-views.ts';
import type { Messages } from '../i18n.ts';

const ADMIN = { config: { access: 'admin' as const } };
type WithId = { Params: { id: string } };
type Problem = keyof Messages['userProblems'];

/** A mistake in a users form: shown on that form in the person's language. */
class UserFormProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem);
  }
}

/** The password typed (checked), or a generated one to show once when none was typed. */
function chosenPassword(body: unknown, mustType = false): { password: string; generated: boolean } {
  const typed = field(body, 'password');
  if (!typed && mustType) throw new UserFormProblem('password');
  if (!typed) return { password: generatePassword(), generated: true };
  try {
    checkPassword(typed);
  } catch {
    throw new UserFormProblem('password');
  }
  return { password: typed, generated: false };
}

/**
 * Users, managed by admins (operators get the 403 page): the list, create (staff with a role, a
 * customer bound to an account), disable (after a confirmation; never oneself) and enable, and
 * a new password (typed, or generated and shown once after the redirect). Everything is audited
 * by the users module; disabling and a new password end the user's sessions.
 */
export function userRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps;
  const send = (
    req: FastifyRequest,
    reply: FastifyReply,
    o: { title: string; body: ReturnType<typeof html>; notice?: string | null; error?: string | null; status?: number },
  ) =>
    reply
      .code(o.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(page(req, { title: o.title, body: o.body, section: 'users', notice: o.notice, error: o.error }).text);

  async function userOr404(req: FastifyRequest<WithId>, reply: FastifyReply): Promise<User | null> {
    const user = await getUser(store, req.params.id);
    if (!user) errorPage(req, reply, 404);
    return user;
  }

  app.get('/users', ADMIN, async (req, reply) => {
    const { t } = stateOf(req);
    return send(req, reply, { title: t.usersTitle, body: usersPage(req, await listUsers(store), null) });
  });

  app.post('/users', ADMIN, async (req, reply) => {
    const { t, sessionId } = stateOf(req);
    try {
      const input = await newUserInput(req.body);
      const { password, generated } = chosenPassword(req.body);
      const user = await createUser(store, clock.now(), { ...input, password }, auditBy(req), deps.scrypt);
      if (generated) await setFlash(store.db, sessionId!, { newPassword: { userId: user.id, password } });
      return reply.redirect(`/admin/users/${user.id}?done=created`, 303);
    } catch (error) {
      if (!(error instanceof UserFormProblem)) throw error;
      const typed = formValues(req.body);
      delete typed.password;
      const body = usersPage(req, await listUsers(store), typed);
      return send(req, reply, { title: t.usersTitle, body, error: t.userProblems[error.problem], status: 400 });
    }
  });

  /** The create form's fields, checked one by one so each mistake has its own words. */
  async function newUserInput(body: unknown): Promise<{ username: string; role: User['role']; accountId: string | null }> {
    let username: string;
    try {
      username = normalizeUsername(field(body, 'username'));
    } catch {
      throw new UserFormProblem('username');
    }
    const role = Object.values(UserRole).find((r) => r === field(body, 'role'));
    if (!role) throw new UserFormProblem('role');
    const accountId = role === UserRole.customer ? field(body, 'account') : null;
    if (accountId === '') throw new UserFormProblem('accountNeeded');
    if (accountId !== null && !(await getAccount(store, accountId))) throw new UserFormProblem('accountUnknown');
    if (await findUser(store, username)) throw new UserFormProblem('exists');
    return { username, role, accountId };
  }

  app.get<WithId>('/users/:id', ADMIN, async (req, reply) => {
    const { t, sessionId } = stateOf(req);
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const done = param(req, 'done');
    const notices: Record<string, string> = {
      created: t.userCreated,
      disabled: t.userDisabled,
      enabled: t.userEnabled,
      password: t.passwordReset,
      'totp-reset': t.totpWasReset,
    };
    const flash = await takeFlash(store.db, sessionId!, (f) => f.newPassword?.userId === user.id);
    const body = userPage(req, user, { newPassword: flash?.newPassword?.password, totp: await totpState(store.db, user.id) });
    return send(req, reply, { title: user.username, body, notice: Object.hasOwn(notices, done) ? notices[done] : null });
  });

  // Disabling is asked first, like revoking a key: a page with the one form that does it.
  app.get<WithId>('/users/:id/disable', ADMIN, async (req, reply) => {
    const { t, user: me } = stateOf(req);
    const user = await userOr404(req, reply);
    if (!user) return reply;
    const back = `/admin/users/${user.id}`;
    if (user.id === me?.id) return send(req, reply, { title: user.username, body: userPage(req, user, {}), error: t.userProblems.self, status: 400 });
    if (user.status === UserStatus.disabled) return reply.redirect(`${back}?done=disabled`, 303);
    const body = confirmPage(req, {
      title: t.disableTitle(user.username),
      text: t.disableText,
      action: `${back}/disable`,
      button: t.disableConfirm,
      backHref: back,
    });
    return send(req, reply, { title: t.disableTitle(user.username), body });
  });

  app.post<WithId>('/users/:id/disable', ADMIN, async (req, reply) => {
    const { t, user: me } = stateOf(req);
    const user = await userOr404(req, reply);
    if (!user) return reply;
    if (user.id === me?.id) return send(req, reply, { title: user.username, body: userPage(req, user, {}), error: t.userProblems.self, status: 400 });
    if (field(req.body, 'confirm') !== '1') return reply.redirect(`/admin/users/${user.id}/disable`, 303);
    await setUserStatus(store, clock.now(), user.username, UserStatus.disabled, auditBy(req));
    return reply.redirect(`/admin/users/${user.id}?done=disabled`, 303);
  });

  app.post<WithId>('/users/:id/enable', ADMIN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    await setUserStatus(store, clock.now(), user.username, UserStatus.active, auditBy(req));
    return reply.redirect(`/admin/users/${user.id}?done=enabled`, 303);
  });

  /** The new-password confirmation: the optional password field goes inside its form. */
  function resetPage(req: FastifyRequest, user: User, error: string | null) {
    const { t } = stateOf(req);
    const back = `/admin/users/${user.id}`;
    const extra = html`<div class="field"><label for="password">${t.newPasswordLabel}</label><input type="password" id="password" name="password" maxlength="1024" autocomplete="new-password" aria-describedby="password-hint"><p class="hint" id="password-hint">${t.newPasswordHint}</p></div>`;
    return confirmPage(req, {
      title: t.resetTitle(user.username),
      text: t.resetText,
      action: `${back}/password`,
      button: t.resetConfirm,
      backHref: back,
      extra,
      error,
    });
  }

  app.get<WithId>('/users/:id/password', ADMIN, async (req, reply) => {
    const user = await userOr404(req, reply);
    if (!user) return reply;
    return send(req, reply, { title: stateOf(req).t.resetTitle(user.username), body: resetPage(req, user, null) });
  });

  app.post<WithId>('/users/:id/password', ADMIN, async (req, reply) => {
    const { t, sessionId } = stateOf(req);
    const user = await userOr404(req, reply);
    if (!user) return reply;
    if (field(req.body, 'confirm') !== '1') return reply.redirect(`/admin/users/${user.id}/password`, 303);
    let chosen: { password: string; generated: boolean };
    try {
      // One's own new password is typed: the reset ends one's own session, so a generated one would never be seen.
      chosen = chosenPassword(req.body, user.id === stateOf(req).user?.id);
    } catch (error) {
      if (!(error instanceof UserFormProblem)) throw error;
      return send(req, reply, { title: t.resetTitle(user.username), body: resetPage(req, user, t.userProblems[error.problem]), status: 400 });
    }
    await setPassword(store, clock.now(), user.username, chosen.password, auditBy(req), deps.scrypt);
    if (chosen.generated) await setFlash(store.db, sessionId!, { newPassword: { userId: user.id, password: chosen.password } });
    return reply.redirect(`/admin/users/${user.id}?done=password`, 303);
  });
}
