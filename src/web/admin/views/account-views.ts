import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';
import { stateOf } from '../admin-context.ts';
import { formatDateTime, formatMoney } from '../format.ts';
import type { AccountPage } from '../../../accounts/search-accounts.ts';
import type { Account } from '../../../accounts/api-keys.ts';
import type { ApiKeysTable } from '../../../store/schema.ts';
import type { LedgerRow } from '../../../billing/ledger.ts';
import type { UsageStatement } from '../../../billing/usage-statement.ts';
import { BILLING_MODES, BillingMode } from '../../../billing/billing-mode.ts';
import { ACCOUNT_STATUSES, AccountStatus } from '../../../accounts/account-status.ts';
import { billingDetailsOf } from '../../../accounts/billing-details.ts';
import { billingSection } from './billing-view.ts';

function isAdmin(req: FastifyRequest): boolean {
  return stateOf(req).user?.role === 'admin';
}

/** What a person typed in a form that came back with a mistake: shown again, as typed. */
export interface EnteredForm {
  form: 'terms' | 'topup' | 'billing';
  values: Record<string, string>;
}

/** The string fields of a posted form (never the CSRF token), each trimmed, for EnteredForm. */
export function formValues(body: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (name !== '_csrf' && typeof first === 'string') values[name] = first.trim().slice(0, 500);
  }
  return values;
}

/** Euro for an input's value: a dot, as the field expects any of "12.5", "12,50". */
function euroValue(cents: number | null): string {
  return cents === null ? '' : (cents / 100).toFixed(2);
}

/** "Results 51-100 of 130" with links to the previous and next page, keeping the search. */
export function pager(
  req: FastifyRequest,
  base: string,
  query: Record<string, string>,
  at: { page: number; size: number; shown: number; total: number },
): SafeHtml {
  const { t } = stateOf(req);
  const first = (at.page - 1) * at.size;
  const link = (page: number) => `${base}?${new URLSearchParams({ ...query, page: String(page) })}`;
  const prev = at.page > 1 ? link(at.page - 1) : null;
  const next = first + at.shown < at.total ? link(at.page + 1) : null;
  return html`<nav class="pager" aria-label="${t.pagerLabel}"><p>${t.resultRange(at.shown === 0 ? 0 : first + 1, first + at.shown, at.total)}</p>
${(prev || next) && html`<ul>${prev && html`<li><a href="${prev}" rel="prev">${t.previous}</a></li>`}${next && html`<li><a href="${next}" rel="next">${t.more}</a></li>`}</ul>`}</nav>`;
}

export function accountListPage(req: FastifyRequest, q: string, result: AccountPage, at: { page: number; size: number }): SafeHtml {
  const { t, lang } = stateOf(req);
  const rows = result.rows;
  return html`<h1>${t.accountsTitle}</h1>
<form method="get" action="/admin/accounts" class="filters">
  <div class="field"><label for="q">${t.accountSearch}</label><input type="search" id="q" name="q" value="${q}" autocomplete="off"></div>
  <button type="submit">${t.search}</button>
</form>
${isAdmin(req) && html`<p><a class="button" href="/admin/accounts/new">${t.newAccount}</a></p>`}
${
  rows.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table id="accounts">
<thead><tr><th scope="col">${t.name}</th><th scope="col">${t.billingMode}</th><th scope="col" class="num">${t.priceShort}</th><th scope="col" class="num">${t.balance}</th><th scope="col" class="num">${t.creditLimitShort}</th><th scope="col">${t.state}</th><th scope="col" class="num">${t.activeKeys}</th></tr></thead>
<tbody>${rows.map(
        (a) => html`<tr>
<td><a href="/admin/accounts/${a.id}">${a.name}</a></td><td>${t.billing[a.billing_mode]}</td>
<td class="num">${formatMoney(lang, a.price_cents)}</td><td class="num">${formatMoney(lang, a.balanceCents)}</td>
<td class="num">${a.credit_limit_cents === null ? t.noLimit : formatMoney(lang, a.credit_limit_cents)}</td>
<td>${t.accountStatus[a.status]}</td><td class="num">${a.activeKeys}</td></tr>`,
      )}</tbody></table></div>`
}
${pager(req, '/admin/accounts', q ? { q } : {}, { ...at, shown: rows.length, total: result.total })}`;
}

function billingSelect(req: FastifyRequest, id: string, value: Account['billing_mode']): SafeHtml {
  const { t } = stateOf(req);
  return html`<select id="${id}" name="billing_mode">${BILLING_MODES.map((m) => html`<option value="${m}"${value === m && ' selected'}>${t.billing[m]}</option>`)}</select>`;
}

/** The new-account form; `entered`: what was typed, when it comes back with a mistake. */
export function newAccountPage(req: FastifyRequest, entered?: Record<string, string>): SafeHtml {
  const { t } = stateOf(req);
  const v = entered ?? { price: '0.10', opening: '0' };
  return html`<h1>${t.newAccount}</h1>
<form method="post" action="/admin/accounts" class="stack narrow">${csrfField(req)}
  <div class="field"><label for="name">${t.name}</label><input type="text" id="name" name="name" required maxlength="200" value="${v.name ?? ''}" autofocus></div>
  <div class="field"><label for="billing_mode">${t.billingMode}</label>${billingSelect(req, 'billing_mode', v.billing_mode === BillingMode.postpaid ? BillingMode.postpaid : BillingMode.prepaid)}</div>
  <div class="field"><label for="price">${t.price}</label><input type="text" id="price" name="price" inputmode="decimal" required value="${v.price ?? ''}"></div>
  <div class="field"><label for="credit_limit">${t.creditLimit}</label><input type="text" id="credit_limit" name="credit_limit" inputmode="decimal" value="${v.credit_limit ?? ''}" aria-describedby="limit-hint"><p class="hint" id="limit-hint">${t.creditLimitHint}</p></div>
  <div class="field"><label for="opening">${t.openingCredit}</label><input type="text" id="opening" name="opening" inputmode="decimal" value="${v.opening ?? ''}"></div>
  <div class="field check"><input type="checkbox" id="operator_fallback" name="operator_fallback" value="1"${v.operator_fallback === '1' && ' checked'}><label for="operator_fallback">${t.operatorFallback}</label></div>
  <button type="submit">${t.create}</button>
</form>`;
}

/** The key in full, this once: selected on focus for copying, never stored. */
export function shownKey(req: FastifyRequest, key: string): SafeHtml {
  const { t } = stateOf(req);
  return html`<div class="callout" role="status"><p>${t.keyShownOnce}</p><p><label for="new-key" class="visually-hidden">API key</label><input type="text" id="new-key" class="key" readonly value="${key}" autofocus></p></div>`;
}

export interface AccountDetail {
  account: Account;
  balanceCents: number;
  keys: ApiKeysTable[];
  ledger: LedgerRow[];
  month: string;
  statement: UsageStatement | null;
  newKey?: string;
  /** A form that came back with a mistake: its fields show what was typed. */
  entered?: EnteredForm;
}

export function accountPage(req: FastifyRequest, d: AccountDetail): SafeHtml {
  const { t, lang } = stateOf(req);
  const a = d.account;
  const admin = isAdmin(req);
  const base = `/admin/accounts/${a.id}`;
  // The terms form shows the account, or what was typed when it came back with a mistake.
  const typed = d.entered?.form === 'terms' ? d.entered.values : null;
  const terms = typed
    ? {
        name: typed.name ?? '',
        billing: typed.billing_mode === BillingMode.postpaid ? BillingMode.postpaid : BillingMode.prepaid,
        price: typed.price ?? '',
        limit: typed.credit_limit ?? '',
        status: typed.status === AccountStatus.disabled ? AccountStatus.disabled : AccountStatus.active,
        fallback: typed.operator_fallback === '1',
        watchPrice: typed.watch_price ?? '',
        verificationPrice: typed.verification_price ?? '',
      }
    : {
        name: a.name,
        billing: a.billing_mode,
        price: euroValue(a.price_cents),
        limit: euroValue(a.credit_limit_cents),
        status: a.status,
        fallback: Number(a.operator_fallback) === 1,
        watchPrice: euroValue(a.watch_price_cents),
        verificationPrice: euroValue(a.verification_price_cents),
      };
  const topup = d.entered?.form === 'topup' ? d.entered.values : {};
  return html`<h1>${a.name}</h1>
${d.newKey && shownKey(req, d.newKey)}
<dl class="facts">
  <dt>Id</dt><dd><code>${a.id}</code></dd>
  <dt>${t.balance}</dt><dd id="balance">${formatMoney(lang, d.balanceCents)} €</dd>
  <dt>${t.billingMode}</dt><dd>${t.billing[a.billing_mode]}</dd>
  <dt>${t.priceShort}</dt><dd>${formatMoney(lang, a.price_cents)} €</dd>
  <dt>${t.creditLimitShort}</dt><dd>${a.credit_limit_cents === null ? t.noLimit : `${formatMoney(lang, a.credit_limit_cents)} €`}</dd>
  <dt>${t.state}</dt><dd>${t.accountStatus[a.status]}</dd>
</dl>
<p><a href="${base}/users">${lang === 'it' ? 'Utenti del portale clienti' : 'Customer portal users'}</a></p>
${
  admin &&
  html`<section class="panel" aria-labelledby="h-terms"><h2 id="h-terms">${t.editTerms}</h2>
<form method="post" action="${base}" class="stack">${csrfField(req)}
  <div class="field"><label for="name">${t.name}</label><input type="text" id="name" name="name" required maxlength="200" value="${terms.name}"></div>
  <div class="field"><label for="billing_mode">${t.billingMode}</label>${billingSelect(req, 'billing_mode', terms.billing)}</div>
  <div class="field"><label for="price">${t.price}</label><input type="text" id="price" name="price" inputmode="decimal" required value="${terms.price}"></div>
  <div class="field"><label for="credit_limit">${t.creditLimit}</label><input type="text" id="credit_limit" name="credit_limit" inputmode="decimal" value="${terms.limit}" aria-describedby="limit-hint"><p class="hint" id="limit-hint">${t.creditLimitHint}</p></div>
  <div class="field"><label for="status">${t.state}</label><select id="status" name="status">${ACCOUNT_STATUSES.map((s) => html`<option value="${s}"${terms.status === s && ' selected'}>${t.accountStatus[s]}</option>`)}</select></div>
  <div class="field"><label for="watch_price">${t.watchPrice}</label><input type="text" id="watch_price" name="watch_price" inputmode="decimal" value="${terms.watchPrice}" aria-describedby="watch-price-hint"><p class="hint" id="watch-price-hint">${t.watchPriceHint}</p></div>
  <div class="field"><label for="verification_price">${t.verificationPrice}</label><input type="text" id="verification_price" name="verification_price" inputmode="decimal" value="${terms.verificationPrice}" aria-describedby="verification-price-hint"><p class="hint" id="verification-price-hint">${t.verificationPriceHint}</p></div>
  <div class="field check"><input type="checkbox" id="operator_fallback" name="operator_fallback" value="1"${terms.fallback && ' checked'}><label for="operator_fallback">${t.operatorFallback}</label></div>
  <button type="submit">${t.save}</button>
</form></section>
<section class="panel" aria-labelledby="h-topup"><h2 id="h-topup">${t.topupTitle}</h2>
<form method="post" action="${base}/topup" class="stack">${csrfField(req)}
  <div class="field"><label for="amount">${t.amount}</label><input type="text" id="amount" name="amount" inputmode="decimal" required value="${topup.amount ?? ''}" aria-describedby="amount-hint"${d.entered?.form === 'topup' && ' autofocus'}><p class="hint" id="amount-hint">${t.amountHint}</p></div>
  <div class="field"><label for="reason">${t.reason}</label><input type="text" id="reason" name="reason" required maxlength="200" value="${topup.reason ?? ''}"></div>
  <button type="submit">${t.topupButton}</button>
</form></section>`
}
${billingSection(req, { base, details: billingDetailsOf(a), admin, typed: d.entered?.form === 'billing' ? d.entered.values : null })}
<section aria-labelledby="h-keys"><h2 id="h-keys">${t.keysTitle}</h2>
${
  d.keys.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table id="keys">
<thead><tr><th scope="col">${t.keyPrefix}</th><th scope="col">${t.keyLabel}</th><th scope="col">${t.keyCreatedAt}</th><th scope="col">${t.keyState}</th>${admin && html`<th scope="col"><span class="visually-hidden">${t.revoke}</span></th>`}</tr></thead>
<tbody>${d.keys.map(
        (k) => html`<tr><td><code>${k.key_prefix}…</code></td><td>${k.label ?? ''}</td><td>${formatDateTime(lang, Number(k.created_at))}</td>
<td>${k.revoked_at === null ? t.keyActive : t.keyRevoked(formatDateTime(lang, Number(k.revoked_at)))}</td>
${admin && html`<td>${k.revoked_at === null && html`<a href="${base}/keys/${k.id}/revoke" class="button small danger">${t.revoke}<span class="visually-hidden"> ${k.key_prefix}…</span></a>`}</td>`}</tr>`,
      )}</tbody></table></div>`
}
${
  admin &&
  html`<form method="post" action="${base}/keys" class="filters">${csrfField(req)}
  <div class="field"><label for="key-label">${t.keyLabel}</label><input type="text" id="key-label" name="label" maxlength="100"></div>
  <button type="submit">${t.newKey}</button></form>`
}
</section>
<section aria-labelledby="h-ledger"><h2 id="h-ledger">${t.ledgerTitle}</h2>
<p class="hint">${t.ledgerNote(d.ledger.length)}</p>
${
  d.ledger.length === 0
    ? html`<p>${t.noResults}</p>`
    : html`<div class="table-wrap"><table id="ledger">
<thead><tr><th scope="col">${t.when}</th><th scope="col">${t.kind}</th><th scope="col" class="num">${t.amount}</th><th scope="col" class="num">${t.runningBalance}</th><th scope="col">${t.reason}</th></tr></thead>
<tbody>${d.ledger.map(
        (
          l,
        ) => html`<tr><td>${formatDateTime(lang, l.createdAt)}</td><td>${t.ledgerKind[l.kind]}</td><td class="num">${formatMoney(lang, l.amountCents)}</td><td class="num">${formatMoney(lang, l.runningBalanceCents)}</td>
<td>${l.requestId ? html`<a href="/admin/requests/${l.requestId}">${l.reason ?? l.requestId}</a>` : (l.reason ?? '')}</td></tr>`,
      )}</tbody></table></div>`
}
</section>
<section aria-labelledby="h-statement"><h2 id="h-statement">${t.statementTitle}</h2>
<p class="hint">${t.statementHint}</p>
<form method="get" action="${base}" class="filters">
  <div class="field"><label for="month">${t.month}</label><input type="month" id="month" name="month" value="${d.month}" pattern="\\d{4}-\\d{2}"></div>
  <button type="submit">${t.show}</button>
</form>
${
  d.statement &&
  html`<p id="statement-summary">${t.statementSummary(d.statement.charges, formatMoney(lang, d.statement.chargedCents), d.statement.refunds, formatMoney(lang, d.statement.refundedCents), formatMoney(lang, d.statement.netCents), d.statement.searches, formatMoney(lang, d.statement.searchedCents))}</p>
<p><a class="button" href="${base}/statement.csv?month=${d.month}" download>${t.downloadCsv}</a></p>`
}
</section>`;
}
