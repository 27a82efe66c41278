import type { FastifyInstance, FastifyRequest } from 'fastify';
import { addApiKey, findApiKey, listApiKeys, revokeApiKey } from '../../../accounts/api-keys.ts';
import { userActor } from '../../../audit/record-audit.ts';
import { html } from '../../admin/html.ts';
import { field, param } from '../../admin/admin-context.ts';
import { formatDateTime } from '../../admin/format.ts';
import { portalCsrfField, portalPage, scrollTable } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { portalErrorPage, sendPage } from '../error-page.ts';
import { setFlashSecret, takeFlashSecret } from '../flash.ts';

const auditOf = (req: FastifyRequest) => ({ actor: userActor(portalState(req).user!.username) });

/** API keys: the account's list, create (the key shown once), revoke after a confirmation page. */
export function portalKeyRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { store, clock } = deps;
  const findKey = (req: FastifyRequest, id: string) => findApiKey(store.db, accountIdOf(req), id);

  app.get('/keys', async (req, reply) => {
    const { t, lang } = portalState(req);
    const keys = await listApiKeys(store.reader, accountIdOf(req), 'newest');
    const created = takeFlashSecret(req, reply, '/portal/keys');
    const body = html`<h1>${t.keysTitle}</h1>
<p>${t.keysIntro}</p>
${created && html`<div class="notice" role="status"><p>${t.keysCreated}</p><p><code class="secret" id="new-key">${created}</code></p></div>`}
${
  keys.length === 0
    ? html`<p>${t.keysEmpty}</p>`
    : scrollTable(
        t.keysTitle,
        html`<table>
<thead><tr><th scope="col">${t.keysPrefix}</th><th scope="col">${t.keysLabel}</th><th scope="col">${t.keysCreatedAt}</th><th scope="col">${t.keysStatus}</th><th scope="col"><span class="visually-hidden">${t.keysRevoke}</span></th></tr></thead>
<tbody>${keys.map(
          (k) => html`<tr><td><code>${k.key_prefix}…</code></td><td>${k.label ?? ''}</td><td>${formatDateTime(lang, Number(k.created_at))}</td>
<td>${k.revoked_at === null ? t.keysActive : `${t.keysRevoked} ${formatDateTime(lang, Number(k.revoked_at))}`}</td>
<td>${k.revoked_at === null && html`<a href="/portal/keys/${k.id}/revoke">${t.keysRevoke}<span class="visually-hidden"> ${k.key_prefix}</span></a>`}</td></tr>`,
        )}</tbody>
</table>`,
      )
}
<h2>${t.keysCreate}</h2>
<form method="post" action="/portal/keys" class="stack narrow">
  ${portalCsrfField(req)}
  <div class="field"><label for="label">${t.keysNewLabel}</label><input type="text" id="label" name="label" maxlength="100"></div>
  <button type="submit" id="key-create">${t.keysCreate}</button>
</form>`;
    return sendPage(reply, portalPage(req, { title: t.keysTitle, body, section: 'keys', notice: param(req, 'revoked') ? t.keysRevoked_ : null }));
  });

  app.post('/keys', async (req, reply) => {
    const label = field(req.body, 'label').slice(0, 100) || undefined;
    const created = await addApiKey(store, accountIdOf(req), clock.now(), { label, audit: auditOf(req) });
    setFlashSecret(req, reply, '/portal/keys', created.key);
    return reply.redirect('/portal/keys', 303);
  });

  app.get<{ Params: { id: string } }>('/keys/:id/revoke', async (req, reply) => {
    const { t } = portalState(req);
    const key = await findKey(req, req.params.id);
    if (!key || key.revoked_at !== null) return portalErrorPage(req, reply, 404);
    const body = html`<h1>${t.keysRevokeTitle}</h1>
<p>${t.keysRevokeText(`${key.key_prefix}…`)}</p>
<form method="post" action="/portal/keys/${key.id}/revoke" class="inline">${portalCsrfField(req)}<button type="submit" class="danger" id="key-revoke-confirm">${t.keysRevokeConfirm}</button></form>
<p><a href="/portal/keys">${t.cancel}</a></p>`;
    return sendPage(reply, portalPage(req, { title: t.keysRevokeTitle, body, section: 'keys' }));
  });

  app.post<{ Params: { id: string } }>('/keys/:id/revoke', async (req, reply) => {
    // Another account's key or an unknown one: a typed error, answered 404 by the plugin.
    await revokeApiKey(store, { accountId: accountIdOf(req), keyId: req.params.id }, clock.now(), auditOf(req));
    return reply.redirect('/portal/keys?revoked=1', 303);
  });
}
