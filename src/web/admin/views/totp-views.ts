import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';
import { stateOf, userOf } from '../admin-context.ts';
import { formatDateTime } from '../format.ts';
import { roleName } from './user-views.ts';
import { totpUri } from '../../../users/totp.ts';
import { qrCode } from '../qr-code.ts';
import type { TotpState } from '../../../users/second-factor.ts';

/** Recovery codes just made, shown this once (like a new API key). */
function shownRecoveryCodes(req: FastifyRequest, codes: string[]): SafeHtml {
  const { t } = stateOf(req);
  return html`<div class="callout" role="status"><p>${t.totpRecoveryCodes}</p>
<ol id="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol></div>`;
}

/** The person's own profile: who they are, and their second factor (on, off, recovery codes left). */
export function profilePage(req: FastifyRequest, totp: TotpState, o: { recoveryCodes?: string[] }): SafeHtml {
  const { t, lang } = stateOf(req);
  const me = userOf(req);
  const on = totp.enabledAt !== null;
  return html`<h1>${t.navMe}</h1>
${o.recoveryCodes && shownRecoveryCodes(req, o.recoveryCodes)}
<dl class="facts" id="me-facts">
  <dt>${t.username}</dt><dd>${me.username}</dd>
  <dt>${t.role}</dt><dd>${roleName(t, me.role)}</dd>
  <dt>${t.totpState}</dt><dd id="totp-state">${totp.enabledAt === null ? t.totpOff : t.totpOn(formatDateTime(lang, totp.enabledAt))}</dd>
  ${on && html`<dt>${t.totpRecoveryLeft}</dt><dd id="recovery-left">${totp.recoveryLeft}</dd>`}
</dl>
<section class="panel" aria-labelledby="h-totp"><h2 id="h-totp">${t.totpTitle}</h2>
<p>${t.totpIntro}</p>
<p class="actions">${
    on ? html`<a class="button danger" href="/admin/me/totp/disable">${t.totpDisable}</a>` : html`<a class="button" href="/admin/me/totp">${t.totpEnable}</a>`
  }</p></section>`;
}

/** A base32 secret in groups of four, easier to type into a phone. */
function grouped(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

/**
 * Enrolment: without a secret yet, the button that makes one; with one, the QR code of the
 * otpauth link, the link and the secret as text (what the app needs), then `form#totp-confirm` for the first code.
 */
export function enrolPage(req: FastifyRequest, secret: string | null, error: string | null): SafeHtml {
  const { t } = stateOf(req);
  const start = (label: string) =>
    html`<form method="post" action="/admin/me/totp/start" id="totp-start">${csrfField(req)}<button type="submit">${label}</button></form>`;
  if (!secret) return html`<h1>${t.totpTitle}</h1><p>${t.totpIntro}</p>${start(t.totpStart)}<p><a href="/admin/me">${t.navMe}</a></p>`;
  const uri = totpUri(userOf(req).username, secret);
  return html`<h1>${t.totpTitle}</h1>
<p>${t.totpStep1}</p>
${qrCode(uri, t.totpQr)}
<dl class="facts">
  <dt>${t.totpUri}</dt><dd><a href="${uri}" id="totp-uri">${uri}</a></dd>
  <dt>${t.totpSecret}</dt><dd><code id="totp-secret">${grouped(secret)}</code></dd>
</dl>
<p>${t.totpStep2}</p>
${error && html`<p class="problem" role="alert">${error}</p>`}
<form method="post" action="/admin/me/totp" id="totp-confirm" class="stack narrow">${csrfField(req)}
  <div class="field"><label for="code">${t.codeLabel}</label>
  <input type="text" id="code" name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="7" autofocus></div>
  <button type="submit">${t.totpConfirm}</button>
</form>
${start(t.totpRestart)}
<p><a href="/admin/me">${t.navMe}</a></p>`;
}

/** Turning one's own second factor off: the password and a code, in `form#totp-disable`. */
export function disablePage(req: FastifyRequest, error: string | null): SafeHtml {
  const { t } = stateOf(req);
  return html`<h1>${t.totpDisableTitle}</h1>
<p>${t.totpDisableText}</p>
${error && html`<p class="problem" role="alert">${error}</p>`}
<form method="post" action="/admin/me/totp/disable" id="totp-disable" class="stack narrow">${csrfField(req)}
  <div class="field"><label for="password">${t.password}</label>
  <input type="password" id="password" name="password" required autocomplete="current-password" maxlength="1024" autofocus></div>
  <div class="field"><label for="code">${t.codeLabel}</label>
  <input type="text" id="code" name="code" required autocomplete="one-time-code" autocapitalize="off" spellcheck="false" maxlength="64" aria-describedby="code-hint">
  <p class="hint" id="code-hint">${t.codeHint}</p></div>
  <p class="confirm-actions"><button type="submit" class="danger">${t.totpDisable}</button> <a href="/admin/me">${t.keepIt}</a></p>
</form>`;
}
