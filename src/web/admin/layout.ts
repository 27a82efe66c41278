import type { FastifyRequest } from 'fastify';
import type { HtmlValue, SafeHtml } from './html.ts';
import { csrfInput, pageShell } from '../page-shell.ts';
import { stateOf } from './admin-context.ts';

export interface PageOptions {
  title: string;
  body: HtmlValue;
  /** The nav entry to mark as current. */
  section?: 'dashboard' | 'queue' | 'requests' | 'accounts' | 'users' | 'audit' | 'me';
  /** A confirmation (role=status) or a problem (role=alert) above the content. */
  notice?: string | null;
  error?: string | null;
  /** Extra stylesheets and deferred scripts (same origin only: the CSP forbids inline ones). */
  styles?: string[];
  scripts?: string[];
}

/** A hidden CSRF field for every form of a logged-in page. */
export function csrfField(req: FastifyRequest): SafeHtml {
  return csrfInput(stateOf(req).csrf);
}

/** The whole document: the shared shell (src/web/page-shell.ts) with the back office's navigation. */
export function page(req: FastifyRequest, o: PageOptions): SafeHtml {
  const { t, user } = stateOf(req);
  const nav = user
    ? [
        { id: 'dashboard', href: '/admin', label: t.navDashboard, accesskey: 'd' },
        { id: 'queue', href: '/admin/queue', label: t.navQueue, accesskey: 'q' },
        { id: 'requests', href: '/admin/requests', label: t.navRequests },
        { id: 'accounts', href: '/admin/accounts', label: t.navAccounts },
        ...(user.role === 'admin'
          ? [
              { id: 'users', href: '/admin/users', label: t.navUsers },
              { id: 'audit', href: '/admin/audit', label: t.navAudit },
            ]
          : []),
        { id: 'me', href: '/admin/me', label: t.navMe },
      ]
    : [];
  return pageShell(req, {
    t,
    title: o.title,
    body: o.body,
    icon: '/favicon.svg',
    stylesheets: ['/admin/assets/admin.css', ...(o.styles ?? [])],
    scripts: o.scripts,
    home: '/admin',
    subtitle: 'back office',
    nav,
    current: o.section,
    who: user && `${user.username} (${user.role === 'admin' ? t.roleAdmin : t.roleOperator})`,
    logout: { action: '/admin/logout', csrf: stateOf(req).csrf },
    notice: o.notice,
    error: o.error,
  });
}
