/**
 * Back-office work end to end over HTTP (app.inject on the whole app): an operator's answer
 * reaches the customer's next poll on both protocols, top-ups move `saldo`, keys are shown
 * once and revoked at once, cancellations refund, statements download, and it is all audited.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { AdminClient, staff, waitingRequest, cf11 } from './admin-fixture.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';

describe('back office flows', () => {
  let h: Harness;
  let admin: AdminClient;
  let operator: AdminClient;

  beforeEach(async () => {
    h = await createHarness('sqlite');
    await staff(h.store, h.clock.now());
    admin = await AdminClient.signedIn(h.app, 'anna');
    operator = await AdminClient.signedIn(h.app, 'otto');
  });
  afterEach(() => h.close());

  const poll = async (key: string, token: string) => (await h.app.inject({ method: 'GET', url: `/index_ws.php?key=${key}&token=${token}` })).body;
  const saldo = async (key: string) => (await h.app.inject({ method: 'POST', url: '/index_ws.php', payload: { key, saldo: '' } })).body;

  test('an operator answers a waiting request: the text poll and a waiting JSON long poll get it at once', async () => {
    const { id, key } = await h.account({ operatorFallback: true });
    const { requestId, jobId } = await waitingRequest(h, id, cf11(1));
    assert.equal(await poll(key, requestId), `WAIT|${requestId}`);

    const queue = await operator.get('/admin/queue');
    assert.match(queue.body, new RegExp(cf11(1)));
    assert.match(queue.body, /<button type="submit" accesskey="p" autofocus>Prendi la prossima<\/button>/);
    const claimed = await operator.post('/admin/queue/claim', {});
    assert.equal(claimed.headers.location, `/admin/queue/${jobId}`);
    const work = await operator.get(`/admin/queue/${jobId}`);
    assert.match(work.body, /id="pec"[^>]*autofocus/);
    // The admin sees it claimed and cannot take it.
    assert.match((await admin.get('/admin/queue')).body, /presa da otto/);
    assert.equal((await admin.post('/admin/queue/claim', { jobId })).headers.location, `/admin/queue?held=${jobId}`);
    // Opening it tells the second person who holds it and until when, not "no longer yours".
    const opened = await admin.get(`/admin/queue/${jobId}`);
    assert.equal(opened.headers.location, `/admin/queue?held=${jobId}`);
    const until = (await h.store.db.selectFrom('jobs').select('locked_until').where('id', '=', jobId).executeTakeFirstOrThrow()).locked_until;
    const hhmm = new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', hour: '2-digit', minute: '2-digit' }).format(Number(until));
    const told = (await admin.get(String(opened.headers.location))).body;
    assert.match(told, new RegExp(`role="alert">Questa richiesta è in lavorazione da otto fino alle ${hhmm}`));
    assert.doesNotMatch(told, /non è più tua/);
    // The holder's own view of that URL says nothing of the kind.
    assert.doesNotMatch((await operator.get(`/admin/queue?held=${jobId}`)).body, /role="alert"/);

    const longPoll = h.app.inject({ method: 'GET', url: `/v1/lookups/${requestId}?wait=30`, headers: { authorization: `Bearer ${key}` } });
    await new Promise((resolve) => setImmediate(resolve));
    const invalid = await operator.post(`/admin/queue/${jobId}/answer`, { outcome: 'found', pec: 'non una pec', kind: 'ente', note: 'x' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Indirizzo PEC non valido/);
    assert.match(invalid.body, /value="non una pec"/, 'what was typed comes back');
    const answered = await operator.post(`/admin/queue/${jobId}/answer`, {
      outcome: 'found',
      pec: 'protocollo@pec.esempio.it',
      kind: 'ente',
      note: 'albo pretorio',
    });
    assert.equal(answered.headers.location, '/admin/queue?done=answered');
    const json = JSON.parse((await longPoll).body);
    assert.equal(json.status, 'found');
    assert.equal(json.pec, 'protocollo@pec.esempio.it');
    assert.deepEqual(
      json.addresses.map((a: { source: string; kind: string; label: string }) => [a.source, a.kind, a.label]),
      [['operator', 'ente', 'albo pretorio']],
    );
    assert.equal(await poll(key, requestId), 'OK|protocollo@pec.esempio.it|pec trovata');
    assert.match((await operator.get('/admin/queue?done=answered')).body, /Risposta registrata/);

    // The request's page shows the operator's attempt and the history.
    const detail = (await admin.get(`/admin/requests/${requestId}`)).body;
    assert.match(detail, /<td>operatore<\/td><td>trovata<\/td>/);
    // Words and Rome dates, not identifiers and raw JSON with epoch milliseconds.
    assert.match(detail, /<td>otto<\/td><td>risposta dell&#39;operatore<\/td>/);
    assert.match(detail, /<dt>PEC<\/dt><dd>protocollo@pec\.esempio\.it<\/dd><dt>tipo<\/dt><dd>ente<\/dd>/);
    assert.doesNotMatch(detail, /request\.answer|request\.claim|<pre>|"status"/);
    assert.match(detail, /<dt>Canale<\/dt><dd>protocollo a righe<\/dd>/);
    const claimAudit = (await listAudit(h.store.db, { action: 'request.claim' }))[0].after as { locked_until: number };
    const rome = new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'medium' }).format(claimAudit.locked_until);
    assert.match(detail, new RegExp(`<dt>presa fino a</dt><dd>${rome.replace(/[/]/g, '\\/')}</dd>`));
    assert.doesNotMatch(detail, new RegExp(String(claimAudit.locked_until)));
    const english = (await admin.get(`/admin/requests/${requestId}?lang=en`)).body;
    assert.match(english, /<td>otto<\/td><td>operator&#39;s answer<\/td>/);
    assert.match(english, /line protocol/);
    await admin.get('/admin?lang=it');
  });

  test('not found by an operator: the poll says "pec non trovata"; released requests go back in place', async () => {
    const { id, key } = await h.account({ operatorFallback: true });
    const first = await waitingRequest(h, id, cf11(2));
    h.clock.advance(1000);
    const second = await waitingRequest(h, id, cf11(3));
    await operator.post('/admin/queue/claim', {});
    assert.equal((await operator.post(`/admin/queue/${first.jobId}/release`, {})).headers.location, '/admin/queue?done=released');
    assert.equal((await operator.post('/admin/queue/claim', {})).headers.location, `/admin/queue/${first.jobId}`);
    await operator.post(`/admin/queue/${first.jobId}/answer`, { outcome: 'not_found', note: 'nessun registro' });
    assert.equal(await poll(key, first.requestId), 'OK||pec non trovata');
    assert.equal(await poll(key, second.requestId), `WAIT|${second.requestId}`);
    // A job that is not yours: back to the queue with the reason.
    assert.equal((await operator.get(`/admin/queue/${second.jobId}`)).headers.location, '/admin/queue?done=lost');
    assert.equal((await operator.post(`/admin/queue/${second.jobId}/answer`, { outcome: 'not_found' })).headers.location, '/admin/queue?done=lost');
  });

  test('a top-up moves saldo; an adjustment takes it back; both need a reason and a valid amount', async () => {
    const { id, key } = await h.account({ initialCreditCents: 1000 });
    assert.equal(await saldo(key), '10.00');
    assert.equal(
      (await admin.post(`/admin/accounts/${id}/topup`, { amount: '12,50', reason: 'bonifico 3/12' })).headers.location,
      `/admin/accounts/${id}?done=topup`,
    );
    assert.equal(await saldo(key), '22.50');
    const page = (await admin.get(`/admin/accounts/${id}?done=topup`)).body;
    assert.match(page, /Nuovo saldo: 22,50 €/);
    assert.match(page, /<td class="num">12,50<\/td><td class="num">22,50<\/td>\s*<td>bonifico 3\/12<\/td>/, 'ledger row with the running balance');
    await admin.post(`/admin/accounts/${id}/topup`, { amount: '-2.5', reason: 'storno' });
    assert.equal(await saldo(key), '20.00');
    for (const fields of [
      { amount: 'dieci', reason: 'x' },
      { amount: '0', reason: 'x' },
      { amount: '1,234', reason: 'x' },
      { amount: '5', reason: '' },
    ]) {
      assert.equal((await admin.post(`/admin/accounts/${id}/topup`, fields)).statusCode, 400, JSON.stringify(fields));
    }
    // The mistake shows on the account's page, on the form it came from, with what was typed.
    const wrong = await admin.post(`/admin/accounts/${id}/topup`, { amount: 'dieci', reason: 'bonifico <3/12>' });
    assert.match(wrong.body, /<p class="problem" role="alert">Importo non valido/);
    assert.match(wrong.body, /id="amount" name="amount" inputmode="decimal" required value="dieci"[^>]*autofocus>/);
    assert.match(wrong.body, /id="reason" name="reason" required maxlength="200" value="bonifico &lt;3\/12&gt;">/);
    assert.match(wrong.body, /<dd id="balance">20,00 €<\/dd>/, 'the account page itself');
    const terms = await admin.post(`/admin/accounts/${id}`, {
      name: 'Nuovo nome',
      billing_mode: 'postpaid',
      price: '-1',
      credit_limit: '7',
      status: 'disabled',
    });
    assert.equal(terms.statusCode, 400);
    assert.match(terms.body, /role="alert">Prezzo non valido/);
    assert.match(terms.body, /id="name" name="name" required maxlength="200" value="Nuovo nome">/);
    assert.match(terms.body, /id="price" name="price" inputmode="decimal" required value="-1">/);
    assert.match(terms.body, /<option value="postpaid" selected>/);
    assert.match(terms.body, /<option value="disabled" selected>/);
    const fresh = await admin.post('/admin/accounts', { name: '', billing_mode: 'postpaid', price: '0,30', opening: '5', operator_fallback: '1' });
    assert.equal(fresh.statusCode, 400);
    assert.match(fresh.body, /role="alert">Il nome è obbligatorio/);
    assert.match(fresh.body, /<form method="post" action="\/admin\/accounts"/);
    assert.match(fresh.body, /id="price" name="price" inputmode="decimal" required value="0,30">/);
    assert.match(fresh.body, /id="operator_fallback" name="operator_fallback" value="1" checked>/);
    // Other error pages lead back where the person came from, not always to /admin.
    const missing = await admin.get('/admin/requests/nessuna', { referer: `http://localhost/admin/accounts/${id}` });
    assert.match(missing.body, new RegExp(`<a href="/admin/accounts/${id}">Torna indietro</a>`));
    assert.match((await admin.get('/admin/requests/nessuna', { referer: 'http://evil.example/admin/x' })).body, /<a href="\/admin">Torna indietro<\/a>/);
    assert.equal(await saldo(key), '20.00');
    const audit = await listAudit(h.store.db, { target: id });
    assert.deepEqual(
      audit.map((r) => [r.actor, r.action]),
      [
        ['user:anna', 'ledger.adjustment'],
        ['user:anna', 'ledger.topup'],
      ],
    );
  });

  test('accounts: create (key shown once), edit terms, add and revoke keys', async () => {
    const posted = await admin.post('/admin/accounts', {
      name: 'Studio Verdi',
      billing_mode: 'postpaid',
      price: '0,12',
      credit_limit: '',
      opening: '0',
      operator_fallback: '1',
    });
    assert.equal(posted.statusCode, 303, 'post/redirect/get');
    const location = String(posted.headers.location);
    assert.match(location, /^\/admin\/accounts\/acc_[^?]+\?done=created$/);
    assert.doesNotMatch(location, /cp_/, 'the key never travels in a URL');
    const created = await admin.get(location);
    assert.equal(created.statusCode, 200);
    assert.equal(created.headers['cache-control'], 'no-store');
    assert.match(created.body, /Account creato\./);
    const key = /id="new-key" class="key" readonly value="(cp_[^"]+)"/.exec(created.body)?.[1];
    assert.ok(key, 'the key is in the page once');
    const id = /<dt>Id<\/dt><dd><code>(acc_[^<]+)<\/code>/.exec(created.body)![1];
    assert.equal(await saldo(key), '0.00');
    // Reloading the page it redirected to: a GET, so no second account, and the key is gone.
    const reloaded = await admin.get(location);
    assert.doesNotMatch(reloaded.body, new RegExp(key), 'never shown again');
    assert.doesNotMatch((await admin.get(`/admin/accounts/${id}`)).body, new RegExp(key), 'never shown again');
    assert.equal((await h.store.db.selectFrom('accounts').select('id').where('name', '=', 'Studio Verdi').execute()).length, 1);
    assert.equal((await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', id).execute()).length, 1);
    const account = await h.store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(
      [account.billing_mode, Number(account.price_cents), account.credit_limit_cents, Number(account.operator_fallback)],
      ['postpaid', 12, null, 1],
    );

    await admin.post(`/admin/accounts/${id}`, { name: 'Studio Verdi', billing_mode: 'prepaid', price: '0.2', credit_limit: '5', status: 'active' });
    const edited = await h.store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(
      [edited.billing_mode, Number(edited.price_cents), Number(edited.credit_limit_cents), Number(edited.operator_fallback)],
      ['prepaid', 20, 500, 0],
    );
    assert.equal((await admin.post(`/admin/accounts/${id}`, { name: 'Studio Verdi', billing_mode: 'prepaid', price: '-1' })).statusCode, 400);

    const keyPosted = await admin.post(`/admin/accounts/${id}/keys`, { label: 'gestionale' });
    assert.equal(keyPosted.headers.location, `/admin/accounts/${id}?done=key`);
    // The key waits for its own account's page: another page leaves it there.
    const { id: otherId } = await h.account({ name: 'Altro' });
    assert.doesNotMatch((await admin.get(`/admin/accounts/${otherId}`)).body, /id="new-key"/);
    const keyPage = (await admin.get(`/admin/accounts/${id}?done=key`)).body;
    const second = /id="new-key" class="key" readonly value="(cp_[^"]+)"/.exec(keyPage)?.[1];
    assert.ok(second);
    assert.doesNotMatch((await admin.get(`/admin/accounts/${id}?done=key`)).body, /id="new-key"/);
    // Stored encrypted in the session until shown: the store never held the key in clear.
    assert.ok(!JSON.stringify(await h.store.db.selectFrom('admin_sessions').selectAll().execute()).includes(second));
    assert.equal(await saldo(second), '0.00');
    const keyId = (await h.store.db.selectFrom('api_keys').select('id').where('key_prefix', '=', key.slice(0, 7)).executeTakeFirstOrThrow()).id;
    // One click does not revoke: the account page links to a confirmation page, and a POST
    // without its confirm field only leads there.
    assert.match(
      (await admin.get(`/admin/accounts/${id}`)).body,
      new RegExp(`<a href="/admin/accounts/${id}/keys/${keyId}/revoke" class="button small danger">`),
    );
    assert.equal((await admin.post(`/admin/accounts/${id}/keys/${keyId}/revoke`, {})).headers.location, `/admin/accounts/${id}/keys/${keyId}/revoke`);
    assert.equal(await saldo(key), '0.00', 'not revoked yet');
    const confirm = await admin.get(`/admin/accounts/${id}/keys/${keyId}/revoke`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /<h1>Revocare la chiave cp_/);
    assert.match(
      confirm.body,
      new RegExp(
        `<form method="post" action="/admin/accounts/${id}/keys/${keyId}/revoke"[^>]*><input type="hidden" name="_csrf"[^>]*>\\s*<input type="hidden" name="confirm" value="1">`,
      ),
    );
    assert.match(confirm.body, new RegExp(`<a href="/admin/accounts/${id}" autofocus>No, torna indietro</a>`));
    // The key under another account's address: 404 (revokeApiKey refuses it), nothing revoked.
    assert.equal((await admin.post(`/admin/accounts/${otherId}/keys/${keyId}/revoke`, { confirm: '1' })).statusCode, 404);
    assert.equal(await saldo(key), '0.00', 'not revoked through another account');
    assert.equal((await admin.post(`/admin/accounts/${id}/keys/${keyId}/revoke`, { confirm: '1' })).headers.location, `/admin/accounts/${id}?done=revoked`);
    assert.equal(
      (await admin.get(`/admin/accounts/${id}/keys/${keyId}/revoke`)).headers.location,
      `/admin/accounts/${id}?done=revoked`,
      'nothing left to confirm',
    );
    assert.equal(await saldo(key), 'Error|Chiave non valida o disabilitata');
    assert.equal(await saldo(second), '0.00');
    const actions = (await listAudit(h.store.db, { actor: 'user:anna' })).map((r) => r.action).reverse();
    assert.deepEqual(
      actions.filter((a) => a !== 'auth.login'),
      ['account.create', 'key.create', 'account.update', 'key.create', 'key.revoke'],
    );
    assert.ok(!JSON.stringify(await h.store.db.selectFrom('audit_log').selectAll().execute()).includes(key));
  });

  test('a request cancelled from the back office is refunded like a customer cancellation', async () => {
    const { id, key } = await h.account({ initialCreditCents: 1000, priceCents: 10 });
    const { requestId } = await waitingRequest(h, id, cf11(4));
    assert.equal(await saldo(key), '9.90');
    assert.match(
      (await operator.get(`/admin/requests/${requestId}`)).body,
      new RegExp(`<a href="/admin/requests/${requestId}/cancel" class="button danger">Cancella la richiesta</a>`),
    );
    assert.equal(
      (await operator.post(`/admin/requests/${requestId}/cancel`, {})).headers.location,
      `/admin/requests/${requestId}/cancel`,
      'one click does not cancel',
    );
    assert.equal(await saldo(key), '9.90');
    const confirm = await operator.get(`/admin/requests/${requestId}/cancel`);
    assert.match(confirm.body, new RegExp(`<h1>Cancellare la richiesta per ${cf11(4)}\\?</h1>`));
    assert.match(confirm.body, /name="confirm" value="1"/);
    const res = await operator.post(`/admin/requests/${requestId}/cancel`, { confirm: '1' });
    assert.equal(res.headers.location, `/admin/requests/${requestId}?done=cancelled`);
    assert.equal(await saldo(key), '10.00');
    assert.equal(await poll(key, requestId), 'ERROR|Richiesta cancellata');
    const [audit] = await listAudit(h.store.db, { action: 'request.cancel' });
    assert.equal(audit.actor, 'user:otto');
    assert.deepEqual(audit.after, { status: 'cancelled', deleted_at: h.clock.now(), refunded_cents: 10 });
    assert.doesNotMatch((await operator.get(`/admin/requests/${requestId}`)).body, /Cancella la richiesta/);
  });

  test('the monthly statement downloads as CSV; search pages find requests and accounts', async () => {
    const { id, key } = await h.account({ name: 'Postpagato Srl', billingMode: 'postpaid', initialCreditCents: 0, priceCents: 25 });
    const { requestId } = await waitingRequest(h, id, cf11(5));
    const month = new Date(h.clock.now()).toISOString().slice(0, 7);
    const page = (await operator.get(`/admin/accounts/${id}?month=${month}`)).body;
    assert.match(page, /Addebiti: 1 \(0,25 €\)\. Rimborsi: 0 \(0,00 €\)\. Totale da fatturare: 0,25 €\./);
    const csv = await operator.get(`/admin/accounts/${id}/statement.csv?month=${month}`);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), new RegExp(`attachment; filename="estratto-${id}-${month}.csv"`));
    assert.match(csv.body, new RegExp(`addebito;${requestId};${cf11(5)};;-25;-0,25`));
    assert.equal((await operator.get(`/admin/accounts/${id}/statement.csv?month=2026-13`)).statusCode, 400);
    // Without ?month=: the current month in Rome (23:30 UTC on 30 November is 1 December there).
    h.clock.set(Date.UTC(2026, 10, 30, 23, 30));
    await operator.login('otto'); // the clock jumped past the session's life
    const current = await operator.get(`/admin/accounts/${id}/statement.csv`);
    assert.equal(current.statusCode, 200);
    assert.match(String(current.headers['content-disposition']), new RegExp(`filename="estratto-${id}-2026-12.csv"`));
    assert.match((await operator.get(`/admin/accounts/${id}`)).body, /id="month" name="month" value="2026-12"/);
    assert.ok(key);

    const found = (await operator.get(`/admin/requests?code=${cf11(5)}&status=waiting_operator`)).body;
    assert.match(found, new RegExp(`href="/admin/requests/${requestId}"`));
    assert.doesNotMatch((await operator.get('/admin/requests?status=found')).body, new RegExp(requestId));
    assert.match((await operator.get('/admin/accounts?q=postpag')).body, /Postpagato Srl/);
    assert.equal((await operator.get('/admin/requests/nessuna')).statusCode, 404);
    assert.equal((await operator.get('/admin/accounts/acc_nessuno')).statusCode, 404);
  });

  test('the accounts list pages past 50 with a total, and a search for "%" is literal', async () => {
    for (let n = 0; n < 51; n++) await h.account({ name: `Cliente ${String(n).padStart(2, '0')}` });
    await h.account({ name: 'Sconto 100% Srl' });
    const first = (await operator.get('/admin/accounts?q=cliente')).body;
    assert.match(first, /Risultati 1–50 di 51\./);
    assert.equal((first.match(/<tr>\s*<td><a href="\/admin\/accounts\/acc_/g) ?? []).length, 50);
    assert.match(first, /href="\/admin\/accounts\?q=cliente&amp;page=2" rel="next"/);
    assert.doesNotMatch(first, /rel="prev"/);
    const second = (await operator.get('/admin/accounts?q=cliente&page=2')).body;
    assert.match(second, /Risultati 51–51 di 51\./);
    assert.match(second, /Cliente 50/);
    assert.match(second, /href="\/admin\/accounts\?q=cliente&amp;page=1" rel="prev"/);
    assert.doesNotMatch(second, /rel="next"/);
    const percent = (await operator.get(`/admin/accounts?q=${encodeURIComponent('%')}`)).body;
    assert.match(percent, /Sconto 100% Srl/);
    assert.match(percent, /Risultati 1–1 di 1\./);
  });

  test('request search: a total, previous and next pages keeping the filter, CSV of the current filter', async () => {
    const { id } = await h.account({ name: 'Esporta Srl', initialCreditCents: 100_000 });
    const account = (await getAccount(h.store, id))!;
    for (let n = 0; n < 101; n++) {
      h.clock.advance(10);
      await submitLookup(h.services.lookups, { account, code: cf11(400 + n), via: 'json', reference: n === 0 ? '=cmd()' : undefined });
    }
    await h.account({ name: 'Altro' });
    const first = (await operator.get('/admin/requests?account=esporta')).body;
    assert.match(first, /<p id="request-total">101 richieste trovate\.<\/p>/);
    const next = /href="(\/admin\/requests\?account=esporta&amp;after=[^"]+)" rel="next"/.exec(first)?.[1];
    assert.ok(next);
    assert.doesNotMatch(first, /rel="prev"/);
    const second = (await operator.get(next.replace(/&amp;/g, '&'))).body;
    assert.match(second, new RegExp(cf11(400)), 'the oldest is on the second page');
    const prev = /href="(\/admin\/requests\?account=esporta&amp;before=[^"]+)" rel="prev"/.exec(second)?.[1];
    assert.ok(prev, 'a previous page');
    assert.doesNotMatch(second, /rel="next"/);
    const back = (await operator.get(prev.replace(/&amp;/g, '&'))).body;
    assert.match(back, new RegExp(cf11(500)));
    assert.doesNotMatch(back, new RegExp(cf11(400)));
    assert.match(back, /href="\/admin\/requests\.csv\?account=esporta" download/);
    const csv = await operator.get('/admin/requests.csv?account=esporta');
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="richieste-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = csv.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    assert.equal(lines[0], 'creata_il;codice;tipo;account_id;account;stato;canale;risposta_il;cancellata_il;richiesta');
    assert.equal(lines.length, 102, 'every request of the filter, not one page');
    assert.ok(lines.slice(1).every((l) => l.includes(`;${id};Esporta Srl;`)));
    assert.equal(
      (await operator.get('/admin/requests.csv?account=nessuno')).body
        .replace(/^\ufeff/, '')
        .trim()
        .split('\r\n').length,
      1,
    );
  });

  test('the dashboard embeds its chart data as JSON and draws nothing inline', async () => {
    const { id } = await h.account({ operatorFallback: true });
    await waitingRequest(h, id, cf11(6));
    const res = await operator.get('/admin');
    const json = /<script type="application\/json" id="dashboard-data">([^<]*)<\/script>/.exec(res.body)?.[1];
    assert.ok(json);
    const data = JSON.parse(json);
    assert.equal(data.charts['chart-hourly'].x.length, 24);
    assert.equal(data.charts['chart-hourly'].series.find((s: { label: string }) => s.label === 'in attesa operatore').values.at(-1), 1);
    assert.match(res.body, /<script src="\/admin\/assets\/uPlot\.iife\.min\.js" defer><\/script>/);
    assert.equal(JSON.parse(/id="dashboard-data">([^<]*)</.exec((await operator.get('/admin?hours=48')).body)![1]).charts['chart-hourly'].x.length, 48);
  });
});
