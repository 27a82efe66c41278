import type { FastifyInstance } from 'fastify';
import { getAccount } from '../../../accounts/accounts.ts';
import { balanceOf } from '../../../billing/balance.ts';
import { html } from '../../admin/html.ts';
import { formatMoney } from '../../admin/format.ts';
import { portalPage } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { sendPage } from '../error-page.ts';
import { BillingMode } from '../../../billing/billing-mode.ts';
import { billingDetailsOf } from '../../../accounts/billing-details.ts';
import { billingFacts } from '../../admin/views/billing-view.ts';

/** The portal's first page: the account, its balance and terms, and the way to upload a file. */
export function portalHomeRoutes(app: FastifyInstance, deps: PortalDeps): void {
  app.get('/', async (req, reply) => {
    const { t, lang } = portalState(req);
    const account = (await getAccount(deps.store, accountIdOf(req)))!;
    const balance = await balanceOf(deps.store.reader, account.id);
    const limit = account.credit_limit_cents;
    const body = html`<h1>${t.homeTitle}</h1>
<dl class="facts">
  <dt>${t.account}</dt><dd>${account.name} (${account.id})</dd>
  <dt>${t.balance}</dt><dd id="balance">${formatMoney(lang, balance)} €</dd>
  <dt>${t.billing}</dt><dd>${account.billing_mode === BillingMode.prepaid ? t.billingPrepaid : t.billingPostpaid}</dd>
  <dt>${t.creditLimit}</dt><dd>${limit === null ? t.none : `${formatMoney(lang, Number(limit))} €`}</dd>
  <dt>${t.price}</dt><dd>${formatMoney(lang, Number(account.price_cents))} €</dd>
</dl>
<section aria-labelledby="h-billing"><h2 id="h-billing">${t.billingTitle}</h2>
<p class="hint">${t.billingIntro}</p>
${billingFacts(t, billingDetailsOf(account))}
</section>
<p>${t.homeIntro}</p>
<p><a class="button" href="/portal/upload">${t.navUpload}</a></p>`;
    return sendPage(reply, portalPage(req, { title: t.homeTitle, body, section: 'home' }));
  });
}
