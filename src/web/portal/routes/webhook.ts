import type { FastifyInstance } from 'fastify';
import { clearAccountWebhook, readAccountWebhook, rotateWebhookSecret, setAccountWebhook } from '../../../webhooks/account-webhook.ts';
import { listDeliveries } from '../../../webhooks/list-deliveries.ts';
import { callbackUrlProblem } from '../../../webhooks/callback-url.ts';
import { html } from '../../admin/html.ts';
import { field, param } from '../../admin/admin-context.ts';
import { formatDateTime } from '../../admin/format.ts';
import { portalCsrfField, portalPage, scrollTable } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { sendPage } from '../error-page.ts';
import { setFlashSecret, takeFlashSecret } from '../flash.ts';

/** The account's webhook: its URL (set, remove), its signing secret (shown once, rotate), recent deliveries. */
export function portalWebhookRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { store, clock } = deps;

  app.get('/webhook', async (req, reply) => {
    const { t, lang } = portalState(req);
    const accountId = accountIdOf(req);
    const view = await readAccountWebhook(store.db, accountId, clock.now());
    const secret = takeFlashSecret(req, reply, '/portal/webhook') ?? view.revealed;
    const deliveries = await listDeliveries(store.reader, { accountId, limit: 20 });
    const done = param(req, 'done');
    const notice = done === 'saved' ? t.webhookSaved : done === 'cleared' ? t.webhookCleared : done === 'rotated' ? t.webhookRotated : null;
    const error = param(req, 'error') === 'url' ? t.webhookBadUrl : null;
    const body = html`<h1>${t.webhookTitle}</h1>
<p>${t.webhookIntro}</p>
<form method="post" action="/portal/webhook" class="stack narrow">
  ${portalCsrfField(req)}
  <div class="field"><label for="url">${t.webhookUrl}</label>
  <input type="url" id="url" name="url" value="${view.row.url ?? ''}" maxlength="2000" required placeholder="https://"></div>
  <button type="submit">${t.webhookSave}</button>
</form>
${view.row.url && html`<form method="post" action="/portal/webhook/clear" class="inline">${portalCsrfField(req)}<button type="submit" class="secondary">${t.webhookClear}</button></form>`}
<h2>${t.webhookSecret}</h2>
${secret ? html`<div class="notice" role="status"><p>${t.webhookSecretShown}</p><p><code class="secret" id="webhook-secret">${secret}</code></p></div>` : html`<p>${t.webhookSecretHidden}</p>`}
<form method="post" action="/portal/webhook/rotate" class="inline">${portalCsrfField(req)}<button type="submit" class="secondary">${t.webhookRotate}</button></form>
<h2>${t.webhookDeliveries}</h2>
${
  deliveries.items.length === 0
    ? html`<p>${t.webhookDeliveriesEmpty}</p>`
    : scrollTable(
        t.webhookDeliveries,
        html`<table>
<thead><tr><th scope="col">${t.ledgerWhen}</th><th scope="col">${t.webhookEvent}</th><th scope="col">${t.webhookTarget}</th><th scope="col">${t.batchStatus}</th><th scope="col">${t.webhookAttempts}</th></tr></thead>
<tbody>${deliveries.items.map((d) => html`<tr><td>${formatDateTime(lang, Date.parse(d.createdAt))}</td><td>${d.event}</td><td>${d.url}</td><td>${d.status}${d.lastStatusCode !== null && ` (HTTP ${d.lastStatusCode})`}</td><td>${d.attempts.length}</td></tr>`)}</tbody>
</table>`,
      )
}`;
    return sendPage(reply, portalPage(req, { title: t.webhookTitle, body, section: 'webhook', notice, error }));
  });

  app.post('/webhook', async (req, reply) => {
    const url = field(req.body, 'url');
    const why = url ? callbackUrlProblem(url, deps.allowPrivateCallbacks) : 'empty';
    if (why) return reply.redirect('/portal/webhook?error=url', 303);
    await setAccountWebhook(store.db, accountIdOf(req), { url }, clock.now());
    return reply.redirect('/portal/webhook?done=saved', 303);
  });

  app.post('/webhook/clear', async (req, reply) => {
    await clearAccountWebhook(store.db, accountIdOf(req), clock.now());
    return reply.redirect('/portal/webhook?done=cleared', 303);
  });

  app.post('/webhook/rotate', async (req, reply) => {
    const view = await rotateWebhookSecret(store.db, accountIdOf(req), clock.now());
    if (view.revealed) setFlashSecret(req, reply, '/portal/webhook', view.revealed);
    return reply.redirect('/portal/webhook?done=rotated', 303);
  });
}
