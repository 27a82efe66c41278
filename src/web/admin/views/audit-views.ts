import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { stateOf } from '../admin-context.ts';
import { formatDateTime } from '../format.ts';
import type { AuditRow } from '../../../audit/list-audit.ts';
import { actionName, actorName, auditValues } from '../labels.ts';

export function auditTable(req: FastifyRequest, rows: AuditRow[]): SafeHtml {
  const { t, lang } = stateOf(req);
  if (rows.length === 0) return html`<p>${t.noResults}</p>`;
  return html`<div class="table-wrap"><table class="audit">
<thead><tr><th scope="col">${t.when}</th><th scope="col">${t.actor}</th><th scope="col">${t.action}</th><th scope="col">${t.target}</th><th scope="col">${t.before}</th><th scope="col">${t.after}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${formatDateTime(lang, r.at)}</td><td>${actorName(t, r.actor)}</td><td>${actionName(t, r.action)}</td><td>${r.target ? html`<code>${r.target}</code>` : ''}</td><td>${auditValues(req, r.before)}</td><td>${auditValues(req, r.after)}</td></tr>`)}</tbody>
</table></div>`;
}

export function auditPage(req: FastifyRequest, filter: { actor: string; action: string; target: string }, rows: AuditRow[], nextUrl: string | null): SafeHtml {
  const { t } = stateOf(req);
  return html`<h1>${t.auditTitle}</h1>
<form method="get" action="/admin/audit" class="filters">
  <div class="field"><label for="a-actor">${t.actor}</label><input type="text" id="a-actor" name="actor" value="${filter.actor}" placeholder="user:mario, cli"></div>
  <div class="field"><label for="a-action">${t.action}</label><input type="text" id="a-action" name="action" value="${filter.action}" placeholder="account., key.revoke"></div>
  <div class="field"><label for="a-target">${t.target}</label><input type="text" id="a-target" name="target" value="${filter.target}"></div>
  <button type="submit">${t.filter}</button>
</form>
${auditTable(req, rows)}
${nextUrl && html`<p><a href="${nextUrl}">${t.more}</a></p>`}`;
}
