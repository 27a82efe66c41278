import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { stateOf } from '../admin-context.ts';
import { formatDateTime, formatMoney } from '../format.ts';
import { attemptsTable } from './queue-views.ts';
import type { codeHistory } from '../../../history/verify-address.ts';
import { auditTable } from './audit-views.ts';
import type { RequestPage } from '../../../lookups/search-requests.ts';
import type { AttemptsTable, LedgerTable, RequestAddressesTable, RequestsTable } from '../../../store/schema.ts';
import type { AuditRow } from '../../../audit/list-audit.ts';
import { isPending, LookupStatus } from '../../../lookups/lookup-status.ts';
import type { NameResult } from '../../../search/search-names.ts';
import { addressKindName, requestKindName, sourceName, viaName } from '../labels.ts';

export interface SearchForm {
  code: string;
  account: string;
  status: string;
  from: string;
  to: string;
}

/** The name search box and, when a name was searched, its results (or why the query was refused). */
export interface NameSearchView {
  q: string;
  results: NameResult[] | null;
  error: string | null;
}

function nameSearchSection(req: FastifyRequest, v: NameSearchView): SafeHtml {
  const { t } = stateOf(req);
  return html`<section aria-labelledby="name-search-title"><h2 id="name-search-title">${t.nameSearchTitle}</h2>
<form method="get" action="/admin/requests" class="filters" role="search">
  <div class="field"><label for="f-name">${t.nameSearchLabel}</label><input type="search" id="f-name" name="name" value="${v.q}" maxlength="200" autocomplete="off"></div>
  <button type="submit">${t.search}</button>
</form>
<p class="hint">${t.nameSearchHint}</p>
${v.error && html`<p class="error" role="alert">${v.error}</p>`}
${
  v.results &&
  (v.results.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table id="name-results">
<caption>${t.nameResultsTitle(v.q)}</caption>
<thead><tr><th scope="col">${t.code}</th><th scope="col">IPA</th><th scope="col">${t.nameColumn}</th><th scope="col">${t.placeColumn}</th><th scope="col">${t.pecColumn}</th><th scope="col">${t.sourceColumn}</th></tr></thead>
<tbody>${v.results.map(
        (r) => html`<tr>
<td><a href="${`/admin/requests?code=${encodeURIComponent(r.code)}`}"><code>${r.code}</code></a></td>
<td>${r.ipaCode ?? ''}</td>
<td>${r.name}</td>
<td>${[r.place.address, r.place.postcode, r.place.province && `(${r.place.province})`].filter(Boolean).join(' ')}</td>
<td>${r.pecs.map((p, i) => html`${i > 0 && html`<br>`}${p.pec}`)}</td>
<td>${r.source.type === 'ipa' ? 'IPA' : r.source.name}</td>
</tr>`,
      )}</tbody></table></div>`)
}
</section>`;
}

export interface SearchLinks {
  next: string | null;
  prev: string | null;
  csv: string;
}

export function requestSearchPage(
  req: FastifyRequest,
  form: SearchForm,
  result: RequestPage,
  links: SearchLinks,
  csvMax: number,
  names?: NameSearchView,
): SafeHtml {
  const { t, lang } = stateOf(req);
  const rows = result.rows;
  const statuses = Object.values(LookupStatus);
  return html`<h1>${t.requestsTitle}</h1>
${names && nameSearchSection(req, names)}
<form method="get" action="/admin/requests" class="filters">
  <div class="field"><label for="f-code">${t.code}</label><input type="text" id="f-code" name="code" value="${form.code}" autocomplete="off" spellcheck="false"></div>
  <div class="field"><label for="f-account">${t.account}</label><input type="text" id="f-account" name="account" value="${form.account}" autocomplete="off"></div>
  <div class="field"><label for="f-status">${t.state}</label><select id="f-status" name="status"><option value="">${t.anyStatus}</option>${statuses.map((s) => html`<option value="${s}"${form.status === s && ' selected'}>${t.status[s]}</option>`)}</select></div>
  <div class="field"><label for="f-from">${t.dateFrom}</label><input type="date" id="f-from" name="from" value="${form.from}"></div>
  <div class="field"><label for="f-to">${t.dateTo}</label><input type="date" id="f-to" name="to" value="${form.to}"></div>
  <button type="submit">${t.search}</button>
</form>
<p class="hint">${t.datesHint}</p>
${
  rows.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table id="requests">
<thead><tr><th scope="col">${t.createdAt}</th><th scope="col">${t.code}</th><th scope="col">${t.account}</th><th scope="col">${t.state}</th><th scope="col">${t.via}</th><th scope="col">${t.answeredAt}</th></tr></thead>
<tbody>${rows.map(
        (r) => html`<tr>
<td><a href="/admin/requests/${r.id}">${formatDateTime(lang, r.createdAt)}</a></td>
<td><code>${r.code}</code></td>
<td><a href="/admin/accounts/${r.accountId}">${r.accountName}</a></td>
<td>${t.status[r.status]}${r.deletedAt !== null && r.status !== LookupStatus.cancelled && html` <span class="muted">(${t.deletedAt.toLowerCase()} ${formatDateTime(lang, r.deletedAt)})</span>`}</td>
<td>${viaName(t, r.via)}</td>
<td>${formatDateTime(lang, r.answeredAt)}</td>
</tr>`,
      )}</tbody></table></div>`
}
<nav class="pager" aria-label="${t.pagerLabel}"><p id="request-total">${t.requestTotal(result.total)}</p>
${(links.prev || links.next) && html`<ul>${links.prev && html`<li><a href="${links.prev}" rel="prev">${t.previous}</a></li>`}${links.next && html`<li><a href="${links.next}" rel="next">${t.more}</a></li>`}</ul>`}</nav>
${result.total > 0 && html`<p><a class="button" href="${links.csv}" download>${t.downloadFilterCsv}</a>${result.total > csvMax && html` <span class="hint">${t.csvCapped(csvMax)}</span>`}</p>`}`;
}

export interface RequestDetail {
  request: RequestsTable;
  accountName: string;
  addresses: RequestAddressesTable[];
  attempts: AttemptsTable[];
  ledger: LedgerTable[];
  history: AuditRow[];
  /** The code's addresses over time, every source (history/verify-address.ts codeHistory). */
  timeline: Awaited<ReturnType<typeof codeHistory>>;
}

export function requestDetailPage(req: FastifyRequest, d: RequestDetail): SafeHtml {
  const { t, lang } = stateOf(req);
  const r = d.request;
  return html`<h1>${t.requestTitle(r.code)}</h1>
<dl class="facts">
  <dt>${t.token}</dt><dd><code>${r.id}</code></dd>
  <dt>${t.code}</dt><dd><code>${r.code}</code> (${requestKindName(t, r.kind)})</dd>
  <dt>${t.account}</dt><dd><a href="/admin/accounts/${r.account_id}">${d.accountName}</a></dd>
  <dt>${t.state}</dt><dd id="request-status">${t.status[r.status]}</dd>
  <dt>${t.pec}</dt><dd>${r.pec ?? '–'}${r.source && html` <span class="muted">(${sourceName(t, r.source)})</span>`}</dd>
  <dt>${t.via}</dt><dd>${viaName(t, r.via)}</dd>
  <dt>${t.reference}</dt><dd>${r.reference ?? '–'}</dd>
  <dt>${t.createdAt}</dt><dd>${formatDateTime(lang, Number(r.created_at))}</dd>
  <dt>${t.answeredAt}</dt><dd>${formatDateTime(lang, r.answered_at === null ? null : Number(r.answered_at))}</dd>
  ${r.deleted_at !== null && html`<dt>${t.deletedAt}</dt><dd>${formatDateTime(lang, Number(r.deleted_at))}</dd>`}
  <dt>${t.charged}</dt><dd>${formatMoney(lang, Number(r.charged_cents))} €</dd>
  ${r.error_message && html`<dt>${t.error}</dt><dd>${r.error_message}</dd>`}
</dl>
${r.deleted_at === null && isPending(r.status) && html`<p><a href="/admin/requests/${r.id}/cancel" class="button danger">${t.cancelRequest}</a> <span class="hint">${t.cancelHint}</span></p>`}
<h2>${t.addresses}</h2>
${
  d.addresses.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t.pec}</th><th scope="col">${t.source}</th><th scope="col">${t.addressKind}</th><th scope="col">${t.label}</th></tr></thead>
<tbody>${d.addresses.map((a) => html`<tr><td>${a.pec}</td><td>${sourceName(t, a.source)}</td><td>${addressKindName(t, a.kind)}</td><td>${a.label ?? ''}</td></tr>`)}</tbody></table></div>`
}
<h2>${t.attempts}</h2>
${attemptsTable(req, d.attempts)}
<h2>${t.addressTimeline}</h2>
${
  d.timeline.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table id="address-timeline">
<thead><tr><th scope="col">${t.timelineFrom}</th><th scope="col">${t.timelineTo}</th><th scope="col">${t.pec}</th><th scope="col">${t.source}</th></tr></thead>
<tbody>${d.timeline.map((e) => html`<tr><td>${formatDateTime(lang, Date.parse(e.validFrom))}</td><td>${e.current ? t.timelineCurrent : formatDateTime(lang, e.validTo === null ? null : Date.parse(e.validTo))}</td><td>${e.pec ?? html`<span class="muted">${t.timelineNone}</span>`}</td><td>${e.source}</td></tr>`)}</tbody></table></div>`
}
<h2>${t.ledgerTitle}</h2>
${
  d.ledger.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t.when}</th><th scope="col">${t.kind}</th><th scope="col" class="num">${t.amount}</th><th scope="col">${t.reason}</th></tr></thead>
<tbody>${d.ledger.map((l) => html`<tr><td>${formatDateTime(lang, Number(l.created_at))}</td><td>${t.ledgerKind[l.kind]}</td><td class="num">${formatMoney(lang, Number(l.amount_cents))}</td><td>${l.reason ?? ''}</td></tr>`)}</tbody></table></div>`
}
<h2>${t.history}</h2>
${auditTable(req, d.history)}`;
}
