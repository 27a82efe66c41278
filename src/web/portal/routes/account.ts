import type { FastifyInstance } from 'fastify';
import { recentLedger } from '../../../billing/recent-ledger.ts';
import { usageStatement } from '../../../billing/usage-statement.ts';
import { statementCsv } from '../../../billing/statement-csv.ts';
import { getAccount } from '../../../accounts/accounts.ts';
import { billingDetailsOf, statementHeader } from '../../../accounts/billing-details.ts';
import { normalizeTaxId } from '../../../taxid/index.ts';
import { recentLookups } from '../../../lookups/list-lookups.ts';
import { html } from '../../admin/html.ts';
import { param } from '../../admin/admin-context.ts';
import { formatDateTime, formatMoney } from '../../admin/format.ts';
import { portalPage, scrollTable } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { sendPage } from '../error-page.ts';

const LEDGER_ROWS = 100;
const LOOKUP_ROWS = 50;

/** The month before `now`'s (UTC), the one a statement is usually asked for. */
function lastMonth(now: number): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/** The ledger with running balance, the monthly statement (CSV), and recent lookups with a search by code. */
export function portalAccountRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { store, clock } = deps;

  app.get('/ledger', async (req, reply) => {
    const { t, lang } = portalState(req);
    const rows = await recentLedger(store.reader, accountIdOf(req), LEDGER_ROWS);
    const body = html`<h1>${t.ledgerTitle}</h1>
<h2>${t.statementTitle}</h2>
<form method="get" action="/portal/statement.csv" class="inline-form">
  <label for="month">${t.statementMonth}</label>
  <input type="month" id="month" name="month" value="${lastMonth(clock.now())}" required pattern="\\d{4}-\\d{2}">
  <button type="submit" id="statement-download">${t.statementDownload}</button>
</form>
${param(req, 'error') === 'month' && html`<p class="problem" role="alert">${t.statementBadMonth}</p>`}
<h2>${t.ledgerLatest(LEDGER_ROWS)}</h2>
${
  rows.length === 0
    ? html`<p>${t.ledgerEmpty}</p>`
    : scrollTable(
        t.ledgerTitle,
        html`<table id="ledger">
<thead><tr><th scope="col">${t.ledgerWhen}</th><th scope="col">${t.ledgerKind}</th><th scope="col" class="num">${t.ledgerAmount}</th><th scope="col" class="num">${t.ledgerBalance}</th><th scope="col">${t.ledgerReason}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${formatDateTime(lang, r.createdAt)}</td><td>${t.ledgerKinds[r.kind] ?? r.kind}</td><td class="num">${formatMoney(lang, r.amountCents)} €</td><td class="num">${formatMoney(lang, r.runningBalanceCents)} €</td><td>${r.reason ?? r.requestId ?? ''}</td></tr>`)}</tbody>
</table>`,
      )
}`;
    return sendPage(reply, portalPage(req, { title: t.ledgerTitle, body, section: 'ledger' }));
  });

  app.get('/statement.csv', async (req, reply) => {
    const month = param(req, 'month');
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return reply.redirect('/portal/ledger?error=month', 303);
    const [statement, account] = await Promise.all([usageStatement(store.reader, accountIdOf(req), month), getAccount(store, accountIdOf(req))]);
    const csv = statementCsv(statement, account ? statementHeader(account.name, billingDetailsOf(account)) : []);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="estratto-${month}.csv"`).send(csv);
  });

  app.get('/lookups', async (req, reply) => {
    const { t, lang } = portalState(req);
    const q = param(req, 'code').slice(0, 40);
    const rows = await recentLookups(store.reader, accountIdOf(req), q ? normalizeTaxId(q) : '', LOOKUP_ROWS);
    const body = html`<h1>${t.lookupsTitle}</h1>
<form method="get" action="/portal/lookups" class="inline-form" role="search">
  <label for="code">${t.lookupsSearch}</label>
  <input type="search" id="code" name="code" value="${q}" maxlength="40" autocapitalize="characters" spellcheck="false">
  <button type="submit">${t.lookupsSearchButton}</button>
</form>
${
  rows.length === 0
    ? html`<p>${t.lookupsEmpty}</p>`
    : scrollTable(
        t.lookupsTitle,
        html`<table id="lookups">
<thead><tr><th scope="col">${t.lookupsWhen}</th><th scope="col">${t.lookupsCode}</th><th scope="col">${t.lookupsStatus}</th><th scope="col">${t.lookupsPec}</th><th scope="col">${t.lookupsReference}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${formatDateTime(lang, Number(r.created_at))}</td><td><code>${r.code}</code></td><td>${t.lookupStatus[r.status] ?? r.status}</td><td>${r.status === 'found' ? (r.pec ?? '') : ''}</td><td>${r.reference ?? ''}</td></tr>`)}</tbody>
</table>`,
      )
}`;
    return sendPage(reply, portalPage(req, { title: t.lookupsTitle, body, section: 'lookups' }));
  });
}
