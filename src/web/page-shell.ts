import type { FastifyRequest } from 'fastify';
import { html, type HtmlValue, type SafeHtml } from './admin/html.ts';

/** The same URL with ?lang= set: the language switch keeps the page and its filters. */
export function withLang(req: FastifyRequest, lang: string): string {
  const url = new URL(req.url, 'http://x');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

/** A hidden CSRF field carrying this token. */
export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export interface NavEntry {
  id: string;
  href: string;
  label: string;
  accesskey?: string | null;
}

/** The words of the shell, which the back office and the portal both have. */
export interface ShellMessages {
  htmlLang: string;
  appName: string;
  skipToContent: string;
  navLabel: string;
  otherLanguage: string;
  otherLanguageCode: string;
  logout: string;
}

export interface ShellOptions {
  t: ShellMessages;
  title: string;
  body: HtmlValue;
  icon: string;
  stylesheets: string[];
  scripts?: string[];
  head?: HtmlValue;
  /** The subtitle beside the brand, and where the brand links. */
  home: string;
  subtitle: string;
  nav: NavEntry[];
  current?: string;
  /** Who is logged in (their name, maybe their role), or null. */
  who: string | null;
  /** Where the logout form posts, with the session's CSRF token. */
  logout: { action: string; csrf: string };
  notice?: string | null;
  error?: string | null;
}

/**
 * The whole document of the back office and the portal: header with navigation, the person, the
 * language switch and logout; then the page. No inline script or style anywhere (CSP).
 */
export function pageShell(req: FastifyRequest, o: ShellOptions): SafeHtml {
  const { t } = o;
  return html`<!doctype html>
<html lang="${t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${o.title} – ${t.appName}</title>
<link rel="icon" href="${o.icon}"${o.icon.endsWith('.svg') && html` type="image/svg+xml"`}>
${o.stylesheets.map((href) => html`<link rel="stylesheet" href="${href}">\n`)}${(o.scripts ?? []).map((src) => html`<script src="${src}" defer></script>\n`)}${o.head ?? ''}</head>
<body>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="bar">
  <p class="brand"><a href="${o.home}">cercapec</a> <span>${o.subtitle}</span></p>
  ${o.nav.length > 0 && html`<nav aria-label="${t.navLabel}"><ul>${o.nav.map((n) => html`<li><a href="${n.href}"${n.accesskey && html` accesskey="${n.accesskey}"`}${o.current === n.id && html` aria-current="page"`}>${n.label}</a></li>`)}</ul></nav>`}
  <div class="who">
    ${o.who && html`<span class="user">${o.who}</span>`}
    <a href="${withLang(req, t.otherLanguageCode)}" lang="${t.otherLanguageCode}" hreflang="${t.otherLanguageCode}">${t.otherLanguage}</a>
    ${o.who && html`<form method="post" action="${o.logout.action}" class="inline">${csrfInput(o.logout.csrf)}<button type="submit" class="link">${t.logout}</button></form>`}
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
