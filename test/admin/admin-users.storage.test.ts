/**
 * Users managed from the back office by admins (issue 17 part 2 item 12), over the routes with
 * the admin fixture, on both dialects: list, create staff and customers, disable (confirmed,
 * never oneself; it ends sessions) and enable, new passwords typed or generated and shown once.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { AdminClient, staff } from './admin-fixture.ts';
import { PortalClient } from '../web/portal/portal-fixture.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { findUser, type User } from '../../src/users/users.ts';

await eachDialect(describe, 'users in the back office', (dialect) => {
  let h: Harness;
  let admin: AdminClient;
  let operator: AdminClient;
  let people: { admin: User; operator: User; operator2: User };

  beforeEach(async () => {
    h = await createHarness(dialect);
    people = await staff(h.store, h.clock.now());
    admin = await AdminClient.signedIn(h.app, 'anna');
    operator = await AdminClient.signedIn(h.app, 'otto');
  });
  afterEach(() => h.close());

  test('operators cannot open or post the users pages; admins see everyone with role, account, status and last login', async () => {
    assert.equal((await operator.get('/admin/users')).statusCode, 403);
    assert.equal((await operator.post('/admin/users', { username: 'intruso', role: 'admin', password: 'una-password-lunga' })).statusCode, 403);
    assert.equal(await findUser(h.store, 'intruso'), null);
    assert.equal((await operator.post(`/admin/users/${people.admin.id}/disable`, { confirm: '1' })).statusCode, 403);
    assert.doesNotMatch((await operator.get('/admin')).body, /href="\/admin\/users"/);

    const { id: accountId } = await h.account({ name: 'Rossi' });
    const list = await admin.get('/admin/users');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /href="\/admin\/users" aria-current="page">Utenti</);
    assert.match(list.body, new RegExp(`<a href="/admin/users/${people.admin.id}">anna</a></td><td>amministratore</td>`));
    assert.match(
      list.body,
      new RegExp(`<a href="/admin/users/${people.operator2.id}">olga</a></td><td>operatore</td>\\s*<td>–</td><td>attivo</td><td>mai</td>`),
    );
    for (const label of ['Nome utente', 'Ruolo', 'Account (solo per i clienti)', 'Password (facoltativa)'])
      assert.match(list.body, new RegExp(`<label for="[a-z]+">${label.replace(/[()]/g, '\\$&')}</label>`));

    // A customer needs an account that exists; mistakes come back on the form with the input kept.
    const noAccount = await admin.post('/admin/users', { username: 'Mario.Rossi', role: 'customer', account: '' });
    assert.equal(noAccount.statusCode, 400);
    assert.match(noAccount.body, /role="alert">Un cliente deve essere legato a un account/);
    assert.match(noAccount.body, /name="username"[^>]*value="Mario.Rossi"/);
    assert.match(noAccount.body, /<option value="customer" selected>cliente<\/option>/);
    assert.match((await admin.post('/admin/users', { username: 'mario', role: 'customer', account: 'acc_nessuno' })).body, /Nessun account con questo id/);
    assert.match((await admin.post('/admin/users', { username: 'otto', role: 'operator' })).body, /Esiste già un utente/);
    assert.match((await admin.post('/admin/users', { username: 'x', role: 'operator' })).body, /Nome utente non valido/);
    assert.match((await admin.post('/admin/users', { username: 'corto', role: 'operator', password: 'breve' })).body, /almeno 10 caratteri/);

    // Created with a typed password: no password is shown; the customer logs in at /portal.
    const created = await admin.post('/admin/users', { username: 'mario.rossi', role: 'customer', account: accountId, password: 'password-di-mario' });
    assert.equal(created.statusCode, 303);
    const mario = (await findUser(h.store, 'mario.rossi'))!;
    assert.equal(mario.accountId, accountId);
    assert.equal(created.headers.location, `/admin/users/${mario.id}?done=created`);
    const shown = await admin.get(String(created.headers.location));
    assert.match(shown.body, /role="status">Utente creato\./);
    assert.doesNotMatch(shown.body, /id="new-password"/);
    const portal = new PortalClient(h.app);
    await portal.login('mario.rossi', 'password-di-mario');
    assert.match((await admin.get('/admin/users')).body, new RegExp(`mario.rossi</a></td><td>cliente</td>\\s*<td><a href="/admin/accounts/${accountId}">`));

    // Staff without a password: one is generated, shown once after the redirect, and works.
    const staffed = await admin.post('/admin/users', { username: 'paola', role: 'operator', account: accountId });
    const paola = (await findUser(h.store, 'paola'))!;
    assert.equal(paola.accountId, null, 'staff belong to no account');
    const first = await admin.get(String(staffed.headers.location));
    const password = /id="new-password" class="key" readonly value="([^"]+)"/.exec(first.body)?.[1];
    assert.ok(password && password.length >= 16);
    assert.doesNotMatch((await admin.get(String(staffed.headers.location))).body, /id="new-password"/, 'shown once');
    await new AdminClient(h.app).login('paola', password);
    const audit = await listAudit(h.store.db, { action: 'user.create' });
    assert.deepEqual(
      audit.map((a) => a.actor),
      ['user:anna', 'user:anna'],
    );
    assert.ok(!JSON.stringify(audit).includes(password));
  });

  test('disable asks first, ends the sessions and refuses oneself; enable; a new password typed or generated', async () => {
    const otto = `/admin/users/${people.operator.id}`;
    const confirm = await admin.get(`${otto}/disable`);
    assert.match(confirm.body, /<h1>Disattivare otto\?<\/h1>/);
    assert.match(confirm.body, /<input type="hidden" name="confirm" value="1">/);
    // Without the confirmation step a POST only leads to it.
    assert.equal((await admin.post(`${otto}/disable`, {})).headers.location, `${otto}/disable`);
    assert.equal((await operator.get('/admin')).statusCode, 200, 'otto still logged in');
    const disabled = await admin.post(`${otto}/disable`, { confirm: '1' });
    assert.equal(disabled.headers.location, `${otto}?done=disabled`);
    assert.match((await admin.get(`${otto}?done=disabled`)).body, /id="user-status">disattivato</);
    assert.equal((await operator.get('/admin')).headers.location, '/admin/login?expired=1&next=%2Fadmin', 'his session ended');
    assert.equal((await operator.tryLogin('otto', 'una-password-lunga')).statusCode, 401);
    assert.equal((await admin.post(`${otto}/enable`, {})).headers.location, `${otto}?done=enabled`);
    await operator.login('otto');

    // Not oneself: no button, and the routes refuse.
    const self = `/admin/users/${people.admin.id}`;
    assert.doesNotMatch((await admin.get(self)).body, /\/disable"/);
    assert.match((await admin.get(`${self}/disable`)).body, /Non puoi disattivare te stesso/);
    const refused = await admin.post(`${self}/disable`, { confirm: '1' });
    assert.equal(refused.statusCode, 400);
    assert.equal((await findUser(h.store, 'anna'))!.status, 'active');

    // A typed new password: otto's session ends, the new one works.
    const form = await admin.get(`${otto}/password`);
    assert.match(form.body, /<label for="password">Password \(facoltativa\)<\/label>/);
    assert.match((await admin.post(`${otto}/password`, { confirm: '1', password: 'breve' })).body, /role="alert">La password deve avere almeno 10/);
    assert.equal((await admin.post(`${otto}/password`, { confirm: '1', password: 'nuova-password-otto' })).headers.location, `${otto}?done=password`);
    assert.equal((await operator.get('/admin')).statusCode, 303);
    await operator.login('otto', 'nuova-password-otto');
    // A generated one, shown once.
    await admin.post(`${otto}/password`, { confirm: '1', password: '' });
    const generated = /id="new-password" class="key" readonly value="([^"]+)"/.exec((await admin.get(`${otto}?done=password`)).body)?.[1];
    assert.ok(generated);
    await new AdminClient(h.app).login('otto', generated);
    // One's own: typed only (the reset ends one's own session).
    assert.equal((await admin.post(`${self}/password`, { confirm: '1', password: '' })).statusCode, 400);

    const actions = (await listAudit(h.store.db, { action: 'user.' })).map((a) => a.action);
    for (const action of ['user.disable', 'user.enable', 'user.passwd']) assert.ok(actions.includes(action), action);
  });
});
