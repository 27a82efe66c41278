import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';
import { stateOf } from '../admin-context.ts';
import { formatDateTime } from '../format.ts';
import type { User } from '../../../users/users.ts';
import { UserRole } from '../../../users/users.ts';
import { UserStatus } from '../../../users/user-status.ts';
import type { Messages } from '../i18n.ts';
import type { TotpState } from '../../../users/second-factor.ts';

export function roleName(t: Messages, role: string): string {
  return role === UserRole.admin ? t.roleAdmin : role === UserRole.operator ? t.roleOperator : role === UserRole.customer ? t.roleCustomer : role;
}

/** A password generated for a user, shown this once (like a new API key). */
export function shownPassword(req: FastifyRequest, password: string): SafeHtml {
  const { t } = stateOf(req);
  return html`<div class="callout" role="status"><p>${t.generatedPassword}</p><p><label for="new-password" class="visually-hidden">${t.password}</label><input type="text" id="new-password" class="key" readonly value="${password}" autofocus></p></div>`;
}

/** The users page: every user, and the form to create one (`typed`: what came back with a mistake). */
export function usersPage(req: FastifyRequest, users: User[], typed: Record<string, string> | null): SafeHtml {
  const { t, lang } = stateOf(req);
  const v = typed ?? {};
  return html`<h1>${t.usersTitle}</h1>
<p>${t.usersIntro}</p>
<div class="table-wrap"><table id="users">
<thead><tr><th scope="col">${t.username}</th><th scope="col">${t.role}</th><th scope="col">${t.navAccounts}</th><th scope="col">${t.state}</th><th scope="col">${t.lastLogin}</th></tr></thead>
<tbody>${users.map(
    (u) => html`<tr><td><a href="/admin/users/${u.id}">${u.username}</a></td><td>${roleName(t, u.role)}</td>
<td>${u.accountId ? html`<a href="/admin/accounts/${u.accountId}">${u.accountId}</a>` : '–'}</td><td>${t.userStatus[u.status]}</td><td>${u.lastLoginAt === null ? t.never : formatDateTime(lang, u.lastLoginAt)}</td></tr>`,
  )}</tbody></table></div>
<section class="panel" aria-labelledby="h-new-user"><h2 id="h-new-user">${t.newUser}</h2>
<form method="post" action="/admin/users" class="stack narrow" id="new-user">${csrfField(req)}
  <div class="field"><label for="username">${t.username}</label><input type="text" id="username" name="username" required maxlength="64" autocomplete="off" autocapitalize="off" spellcheck="false" value="${v.username ?? ''}"${typed && ' autofocus'}></div>
  <div class="field"><label for="role">${t.role}</label><select id="role" name="role">${Object.values(UserRole).map((r) => html`<option value="${r}"${(v.role ?? UserRole.operator) === r && ' selected'}>${roleName(t, r)}</option>`)}</select></div>
  <div class="field"><label for="account">${t.accountIdLabel}</label><input type="text" id="account" name="account" maxlength="64" autocomplete="off" spellcheck="false" value="${v.account ?? ''}" aria-describedby="account-hint"><p class="hint" id="account-hint">${t.accountIdHint}</p></div>
  <div class="field"><label for="password">${t.newPasswordLabel}</label><input type="password" id="password" name="password" maxlength="1024" autocomplete="new-password" aria-describedby="password-hint"><p class="hint" id="password-hint">${t.newPasswordHint}</p></div>
  <button type="submit">${t.createUser}</button>
</form></section>`;
}

/** One user: the facts, and what an admin can do (disable or enable, a new password, reset the second factor). */
export function userPage(req: FastifyRequest, u: User, o: { newPassword?: string; totp?: TotpState }): SafeHtml {
  const { t, lang, user: me } = stateOf(req);
  const base = `/admin/users/${u.id}`;
  return html`<h1>${u.username}</h1>
${o.newPassword && shownPassword(req, o.newPassword)}
<dl class="facts" id="user-facts">
  <dt>${t.role}</dt><dd>${roleName(t, u.role)}</dd>
  ${u.accountId && html`<dt>${t.navAccounts}</dt><dd><a href="/admin/accounts/${u.accountId}">${u.accountId}</a></dd>`}
  <dt>${t.state}</dt><dd id="user-status">${t.userStatus[u.status]}</dd>
  <dt>${t.lastLogin}</dt><dd>${u.lastLoginAt === null ? t.never : formatDateTime(lang, u.lastLoginAt)}</dd>
  ${o.totp && html`<dt>${t.totpState}</dt><dd id="user-totp">${o.totp.enabledAt === null ? t.totpOff : t.totpOn(formatDateTime(lang, o.totp.enabledAt))}</dd>`}
</dl>
<p class="actions">
${
  u.status === UserStatus.active
    ? u.id !== me?.id && html`<a class="button danger" href="${base}/disable">${t.disableUser}</a>`
    : html`<form method="post" action="${base}/enable" class="inline">${csrfField(req)}<button type="submit">${t.enableUser}</button></form>`
}
<a class="button" href="${base}/password">${t.resetPassword}</a>
${o.totp?.enabledAt != null && html`<a class="button" href="${base}/totp-reset">${t.totpReset}</a>`}
</p>
<p><a href="/admin/users">${t.usersTitle}</a></p>`;
}
