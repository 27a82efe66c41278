import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';
import { stateOf } from '../admin-context.ts';
import type { BillingDetails } from '../../../accounts/billing-details.ts';
import type { Messages } from '../i18n.ts';

type Field = { key: keyof BillingDetails; name: string; label: keyof Messages & string; type: string; max: number; auto?: string; hint?: true };

/** The form's fields, in the order of an Italian invoice header. */
const FIELDS: Field[] = [
  { key: 'legalName', name: 'legal_name', label: 'legalName', type: 'text', max: 200, auto: 'organization' },
  { key: 'vatNumber', name: 'vat_number', label: 'vatNumber', type: 'text', max: 16 },
  { key: 'sdiCode', name: 'sdi_code', label: 'sdiCode', type: 'text', max: 7, hint: true },
  { key: 'pec', name: 'billing_pec', label: 'billingPec', type: 'email', max: 254 },
  { key: 'contactName', name: 'contact_name', label: 'contactName', type: 'text', max: 200, auto: 'name' },
  { key: 'contactEmail', name: 'contact_email', label: 'contactEmail', type: 'email', max: 254, auto: 'email' },
  { key: 'contactPhone', name: 'contact_phone', label: 'contactPhone', type: 'tel', max: 30, auto: 'tel' },
];

/** The posted billing form as the fields parseBillingDetails reads. */
export function billingInput(values: Record<string, string>): Record<keyof BillingDetails, string> {
  return Object.fromEntries(FIELDS.map((f) => [f.key, values[f.name] ?? ''])) as Record<keyof BillingDetails, string>;
}

/** The details as a list of labelled values (what is not set is left out). */
export function billingFacts(
  t: Pick<Messages, 'legalName' | 'vatNumber' | 'sdiCode' | 'billingPec' | 'contactName' | 'contactEmail' | 'contactPhone' | 'billingNone'>,
  d: BillingDetails,
): SafeHtml {
  const set = FIELDS.filter((f) => d[f.key] !== null);
  if (set.length === 0) return html`<p>${t.billingNone}</p>`;
  return html`<dl class="facts" id="billing-details">${set.map((f) => html`<dt>${t[f.label as keyof typeof t] as string}</dt><dd>${d[f.key]}</dd>`)}</dl>`;
}

/** The account page's billing section: the details, and for an admin the form (with what was typed when it came back). */
export function billingSection(
  req: FastifyRequest,
  o: { base: string; details: BillingDetails; admin: boolean; typed: Record<string, string> | null },
): SafeHtml {
  const { t } = stateOf(req);
  const value = (f: Field) => (o.typed ? (o.typed[f.name] ?? '') : (o.details[f.key] ?? ''));
  return html`<section class="panel" aria-labelledby="h-billing"><h2 id="h-billing">${t.billingTitle}</h2>
${
  o.admin
    ? html`<form method="post" action="${o.base}/billing" class="stack" id="billing">${csrfField(req)}
${FIELDS.map(
  (f) =>
    html`  <div class="field"><label for="${f.name}">${t[f.label] as string}</label><input type="${f.type}" id="${f.name}" name="${f.name}" maxlength="${f.max}" value="${value(f)}"${f.auto && html` autocomplete="${f.auto}"`}${f.hint && html` aria-describedby="${f.name}-hint"`}${o.typed && f === FIELDS[0] && ' autofocus'}>${f.hint && html`<p class="hint" id="${f.name}-hint">${t.sdiHint}</p>`}</div>\n`,
)}  <button type="submit">${t.save}</button>
</form>`
    : billingFacts(t, o.details)
}
</section>`;
}
