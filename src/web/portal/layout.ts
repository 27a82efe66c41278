import type { FastifyRequest } from 'fastify';
import { html, type HtmlValue, type SafeHtml } from '../admin/html.ts';
import { csrfInput, pageShell } from '../page-shell.ts';
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
  return csrfInput(portalState(req).csrf);
}

/** The whole document: the shared shell (src/web/page-shell.ts), with the back office's stylesheet plus the portal's. */
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
  return pageShell(req, {
    t,
    title: o.title,
    body: o.body,
    icon: 'data:,',
    stylesheets: ['/admin/assets/admin.css', '/portal/assets/portal.css'],
    scripts: o.scripts,
    head: o.head,
    home: '/portal',
    subtitle: t.appName.replace('cercapec – ', ''),
    nav,
    current: o.section,
    who: user?.username ?? null,
    logout: { action: '/portal/logout', csrf: portalState(req).csrf },
    notice: o.notice,
    error: o.error,
  });
}
