import type { FastifyRequest } from 'fastify';
import { html, type HtmlValue, type SafeHtml } from '../admin/html.ts';
import { withLang } from '../admin/layout.ts';
import { portalState } from './portal-context.ts';

export type PortalSection = 'home' | 'upload' | 'batches' | 'ledger' | 'lookups' | 'search' | 'keys' | 'webhook';

export interface PortalPage {
  title: string;
  body: HtmlValue;
  section?: PortalSection;
  notice?: string | null;
  error?: string | null;
  /** Deferred same-origin scripts (the CSP forbids inline ones). */
  scripts?: string[];
  /** Extra <head> markup (a <noscript> refresh on the progress page). */
  head?: HtmlValue;
}

/**
 * A table in a box that scrolls sideways on a phone: the box is a labelled region that takes the
 * keyboard focus, so the part out of view can be scrolled to without a mouse (axe
 * scrollable-region-focusable).
 */
export function scrollTable(label: string, table: HtmlValue): SafeHtml {
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="${label}">${table}</div>`;
}

/** A hidden CSRF field for every form of a logged-in page. */
export function portalCsrfField(req: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${portalState(req).csrf}">`;
}

/**
 * The whole document, like the back office's (the same stylesheet, plus the portal's): header
 * with navigation, the language switch and logout; then the page. No inline script or style.
 */
export function portalPage(req: FastifyRequest, o: PortalPage): SafeHtml {
  const { t, user } = portalState(req);
  const nav: { id: PortalSection; href: string; label: string }[] = user
    ? [
        { id: 'home', href: '/portal', label: t.navHome },
        { id: 'upload', href: '/portal/upload', label: t.navUpload },
        { id: 'batches', href: '/portal/batches', label: t.navBatches },
        { id: 'ledger', href: '/portal/ledger', label: t.navLedger },
        { id: 'lookups', href: '/portal/lookups', label: t.navLookups },
        { id: 'search', href: '/portal/search', label: t.navSearch },
        { id: 'keys', href: '/portal/keys', label: t.navKeys },
        { id: 'webhook', href: '/portal/webhook', label: t.navWebhook },
      ]
    : [];
  return html`<!doctype html>
<html lang="${t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${o.title} – ${t.appName}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/assets/admin.css">
<link rel="stylesheet" href="/portal/assets/portal.css">
${(o.scripts ?? []).map((src) => html`<script src="${src}" defer></script>\n`)}${o.head ?? ''}</head>
<body>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="bar">
  <p class="brand"><a href="/portal">cercapec</a> <span>${t.appName.replace('cercapec – ', '')}</span></p>
  ${nav.length > 0 && html`<nav aria-label="${t.navLabel}"><ul>${nav.map((n) => html`<li><a href="${n.href}"${o.section === n.id && html` aria-current="page"`}>${n.label}</a></li>`)}</ul></nav>`}
  <div class="who">
    ${user && html`<span class="user">${user.username}</span>`}
    <a href="${withLang(req, t.otherLanguageCode)}" lang="${t.otherLanguageCode}" hreflang="${t.otherLanguageCode}">${t.otherLanguage}</a>
    ${user && html`<form method="post" action="/portal/logout" class="inline">${portalCsrfField(req)}<button type="submit" class="link">${t.logout}</button></form>`}
  </div>
</header>
<main id="main">
${o.notice && html`<p class="notice" role="status">${o.notice}</p>`}
${o.error && html`<p class="problem" role="alert">${o.error}</p>`}
${o.body}
</main>
</body>
</html>
`;
}
