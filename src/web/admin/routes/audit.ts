import type { FastifyInstance } from 'fastify';
import { formatAuditCursor, listAudit, parseAuditCursor } from '../../../audit/list-audit.ts';
import { page } from '../layout.ts';
import { param, stateOf, type AdminDeps } from '../admin-context.ts';
import { auditPage } from '../views/audit-views.ts';

const PAGE = 200;

/** The audit log, admins only: who changed what, when, before and after. */
export function auditRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/audit', { config: { access: 'admin' } }, async (req, reply) => {
    const filter = { actor: param(req, 'actor'), action: param(req, 'action'), target: param(req, 'target') };
    const before = parseAuditCursor(param(req, 'before'));
    const rows = await listAudit(deps.store.db, { ...filter, before, limit: PAGE });
    const last = rows[rows.length - 1];
    const nextUrl = rows.length === PAGE && last ? `/admin/audit?${new URLSearchParams({ ...filter, before: formatAuditCursor(last) })}` : null;
    return reply
      .type('text/html; charset=utf-8')
      .send(page(req, { title: stateOf(req).t.auditTitle, section: 'audit', body: auditPage(req, filter, rows, nextUrl) }).text);
  });
}
