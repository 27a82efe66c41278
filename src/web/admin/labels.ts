import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from './html.ts';
import { stateOf } from './admin-context.ts';
import { formatDateTime, formatMoney } from './format.ts';
import type { Messages } from './i18n.ts';

/**
 * Words for identifiers the store keeps (`text`, `directory`, `account.create`...): pages show
 * the word in the person's language; an identifier without one (added later, another part of
 * the product) is shown as it is rather than hidden.
 */
function named(names: Record<string, string>, id: string): string {
  return Object.hasOwn(names, id) ? names[id] : id;
}

export const viaName = (t: Messages, via: string) => named(t.viaNames, via);
export const sourceName = (t: Messages, source: string) => named(t.sourceNames, source);
export const requestKindName = (t: Messages, kind: string) => named(t.requestKinds, kind);
export const addressKindName = (t: Messages, kind: string) => named(t.kinds, kind);
export const actionName = (t: Messages, action: string) => named(t.auditActions, action);

/** `user:anna` is anna; `cli` and `system` have words. */
export function actorName(t: Messages, actor: string): string {
  return actor.startsWith('user:') ? actor.slice('user:'.length) : named(t.actorNames, actor);
}

/** One value of an audit record, by what its field holds: cents as euro, instants as Rome dates. */
function auditValue(req: FastifyRequest, field: string, value: unknown): string {
  const { t, lang } = stateOf(req);
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number' && field.endsWith('_cents')) return `${formatMoney(lang, value)} €`;
  if (typeof value === 'number' && (field.endsWith('_at') || field.endsWith('_until'))) return formatDateTime(lang, value);
  if (field === 'operator_fallback' || typeof value === 'boolean') return value === true || value === 1 ? t.yes : t.no;
  if (typeof value === 'string') {
    if (field === 'status') return named({ ...t.status, ...t.accountStatus }, value);
    if (field === 'billing_mode') return named(t.billing, value);
    if (field === 'kind') return addressKindName(t, value);
    if (field === 'second_factor') return named(t.secondFactors, value);
    if (field === 'role') return value === 'admin' ? t.roleAdmin : value === 'operator' ? t.roleOperator : value;
    return value;
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${named(t.auditFields, k)}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  }
  return String(value);
}

/** The before or after of an audit record as a short list of labelled values (not raw JSON). */
export function auditValues(req: FastifyRequest, value: unknown): SafeHtml | string {
  const { t } = stateOf(req);
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object' || Array.isArray(value)) return auditValue(req, '', value);
  const entries = Object.entries(value as Record<string, unknown>);
  return html`<dl class="changes">${entries.map(([field, v]) => html`<dt>${named(t.auditFields, field)}</dt><dd>${auditValue(req, field, v)}</dd>`)}</dl>`;
}
