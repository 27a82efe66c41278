import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getAccount } from '../../../accounts/accounts.ts';
import { createUser, listUsers } from '../../../users/users.ts';
import { html } from '../html.ts';
import { csrfField, page } from '../layout.ts';
import { auditBy, field, param, stateOf, type AdminDeps } from '../admin-context.ts';
import { formatDateTime } from '../format.ts';
import { errorPage } from '../error-page.ts';
import { UserStatus } from '../../../users/user-status.ts';

/** This page's words (kept here: the portal's users are a small addition to the account page). */
const WORDS = {
  it: {
    title: (name: string) => `Utenti del portale clienti – ${name}`,
    intro: "Le persone che accedono all'area clienti (/portal) e vedono solo questo account.",
    none: 'Nessun utente.',
    username: 'Nome utente',
    status: 'Stato',
    lastLogin: 'Ultimo accesso',
    active: 'attivo',
    disabled: 'disattivato',
    add: 'Aggiungi un utente',
    password: 'Password (almeno 10 caratteri)',
    create: 'Crea utente',
    created: (u: string) => `Utente ${u} creato: accede da /portal.`,
    back: "Torna all'account",
  },
  en: {
    title: (name: string) => `Customer portal users – ${name}`,
    intro: 'The people who log in to the customer portal (/portal) and see only this account.',
    none: 'No users.',
    username: 'Username',
    status: 'Status',
    lastLogin: 'Last login',
    active: 'active',
    disabled: 'disabled',
    add: 'Add a user',
    password: 'Password (at least 10 characters)',
    create: 'Create user',
    created: (u: string) => `User ${u} created: they log in at /portal.`,
    back: 'Back to the account',
  },
};

/** An account's customer users (role customer): listed for staff, created by admins. */
export function accountUserRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const usersPage = async (req: FastifyRequest<{ Params: { id: string } }>, error: string | null, status = 200) => {
    const { lang, user } = stateOf(req);
    const w = WORDS[lang];
    const account = await getAccount(deps.store, req.params.id);
    if (!account) return null;
    const users = await listUsers(deps.store, account.id);
    const created = param(req, 'created');
    const body = html`<h1>${w.title(account.name)}</h1>
<p>${w.intro}</p>
${
  users.length === 0
    ? html`<p>${w.none}</p>`
    : html`<div class="table-scroll"><table>
<thead><tr><th scope="col">${w.username}</th><th scope="col">${w.status}</th><th scope="col">${w.lastLogin}</th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.username}</td><td>${u.status === UserStatus.active ? w.active : w.disabled}</td><td>${formatDateTime(lang, u.lastLoginAt)}</td></tr>`)}</tbody>
</table></div>`
}
${
  user?.role === 'admin' &&
  html`<section class="panel" aria-labelledby="h-add-user"><h2 id="h-add-user">${w.add}</h2>
<form method="post" action="/admin/accounts/${account.id}/users" class="stack">${csrfField(req)}
  <div class="field"><label for="username">${w.username}</label><input type="text" id="username" name="username" required maxlength="64" autocomplete="off" autocapitalize="off" spellcheck="false"></div>
  <div class="field"><label for="password">${w.password}</label><input type="password" id="password" name="password" required minlength="10" maxlength="1024" autocomplete="new-password"></div>
  <button type="submit">${w.create}</button>
</form></section>`
}
<p><a href="/admin/accounts/${account.id}">${w.back}</a></p>`;
    return { status, text: page(req, { title: w.title(account.name), body, section: 'accounts', notice: created ? w.created(created) : null, error }).text };
  };

  app.get<{ Params: { id: string } }>('/accounts/:id/users', async (req, reply) => {
    const shown = await usersPage(req, null);
    return shown ? reply.type('text/html; charset=utf-8').send(shown.text) : errorPage(req, reply, 404);
  });

  app.post<{ Params: { id: string } }>('/accounts/:id/users', { config: { access: 'admin' } }, async (req, reply) => {
    const account = await getAccount(deps.store, req.params.id);
    if (!account) return errorPage(req, reply, 404);
    const created = await createUser(
      deps.store,
      deps.clock.now(),
      { username: field(req.body, 'username'), password: field(req.body, 'password'), role: 'customer', accountId: account.id },
      auditBy(req),
      deps.scrypt,
    );
    return reply.redirect(`/admin/accounts/${account.id}/users?created=${encodeURIComponent(created.username)}`, 303);
  });
}
