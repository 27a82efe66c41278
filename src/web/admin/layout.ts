import type { FastifyRequest } from 'fastify';
import { html, type HtmlValue, type SafeHtml } from './html.ts';
import { stateOf } from './admin-context.ts';

export interface PageOptions {
  title: string;
  body: HtmlValue;
  /** The nav entry to mark as current. */
  section?: 'dashboard' | 'queue' | 'requests' | 'accounts' | 'audit';
  /** A confirmation (role=status) or a problem (role=alert) above the content. */
  notice?: string | null;
  error?: string | null;
  /** Extra stylesheets and deferred scripts (same origin only: the CSP forbids inline ones). */
  styles?: string[];
  scripts?: string[];
}

/** The same URL with ?lang= set: the language switch keeps the page and its filters. */
export function withLang(req: FastifyRequest, lang: string): string {
  const url = new URL(req.url, 'http://x');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

/** A hidden CSRF field for every form of a logged-in page. */
export function csrfField(req: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${stateOf(req).csrf}">`;
}

/**
 * The whole document: header with navigation, the person, the language switch and logout;
 * then the page. No inline script or style anywhere (CSP); one stylesheet.
 */
export function page(req: FastifyRequest, o: PageOptions): SafeHtml {
  const { t, user } = stateOf(req);
  const nav = user
    ? [
        { id: 'dashboard', href: '/admin', label: t.navDashboard, key: 'd' },
        { id: 'queue', href: '/admin/queue', label: t.navQueue, key: 'q' },
        { id: 'requests', href: '/admin/requests', label: t.navRequests, key: null },
        { id: 'accounts', href: '/admin/accounts', label: t.navAccounts, key: null },
        ...(user.role === 'admin' ? [{ id: 'audit', href: '/admin/audit', label: t.navAudit, key: null }] : []),
      ]
    : [];
  return html`<!doctype html>
<html lang="${t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${o.title} – ${t.appName}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/admin/assets/admin.css">
${(o.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">\n`)}${(o.scripts ?? []).map((src) => html`<script src="${src}" defer></script>\n`)}</head>
<body>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="bar">
  <p class="brand"><a href="/admin">cercapec</a> <span>back office</span></p>
  ${nav.length > 0 && html`<nav aria-label="${t.navLabel}"><ul>${nav.map((n) => html`<li><a href="${n.href}"${n.key && html` accesskey="${n.key}"`}${o.section === n.id && html` aria-current="page"`}>${n.label}</a></li>`)}</ul></nav>`}
  <div class="who">
    ${user && html`<span class="user">${user.username} (${user.role === 'admin' ? t.roleAdmin : t.roleOperator})</span>`}
    <a href="${withLang(req, t.otherLanguageCode)}" lang="${t.otherLanguageCode}" hreflang="${t.otherLanguageCode}">${t.otherLanguage}</a>
    ${user && html`<form method="post" action="/admin/logout" class="inline">${csrfField(req)}<button type="submit" class="link">${t.logout}</button></form>`}
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
