/**
 * The back office over HTTP (app.inject on the whole app): who may open what, CSRF and Origin
 * checks on every POST, login lockout, idle expiry with the manual clock, and the pages' rules
 * (no inline script or style, no caching, Italian first with an English switch).
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { AdminClient, PASSWORD, staff, waitingRequest, cf11 } from './admin-fixture.ts';
import { listAudit } from '../../src/audit/list-audit.ts';

const MINUTE = 60_000;

describe('back office routes', () => {
  let h: Harness;

  beforeEach(async () => {
    // The per-address login limit is off here (these tests log in often); it has its own test.
    h = await createHarness('sqlite', { adminSessionIdleMinutes: 30, adminLockoutFailures: 5, adminLockoutMinutes: 15, adminLoginsPerMinute: 0 });
    await staff(h.store, h.clock.now());
  });
  afterEach(() => h.close());

  const staffPages = ['/admin', '/admin/queue', '/admin/requests', '/admin/accounts'];

  test('without a session every page but login and assets redirects to the login page', async () => {
    const client = new AdminClient(h.app);
    for (const url of [...staffPages, '/admin/audit', '/admin/accounts/new', '/admin/nope']) {
      const res = await client.get(url);
      assert.equal(res.statusCode, 303, url);
      assert.match(String(res.headers.location), /^\/admin\/login\?/, url);
    }
    assert.equal((await client.get('/admin/login')).statusCode, 200);
    for (const asset of ['admin.css', 'dashboard.js', 'uPlot.iife.min.js', 'uPlot.min.css']) {
      assert.equal((await client.get(`/admin/assets/${asset}`)).statusCode, 200, asset);
    }
    // A POST without a session changes nothing and goes to the login page too.
    const { id } = await h.account();
    const res = await client.post(`/admin/accounts/${id}/topup`, { amount: '5', reason: 'x' }, { csrf: 'whatever' });
    assert.equal(res.statusCode, 303);
    assert.equal((await h.store.db.selectFrom('ledger').select('id').where('account_id', '=', id).execute()).length, 1);
  });

  test('an API key opens no admin page, by header or by cookie', async () => {
    const { key } = await h.account();
    const client = new AdminClient(h.app);
    for (const headers of [{ authorization: `Bearer ${key}` }, { cookie: `cercapec_admin=${key}` }] as Record<string, string>[]) {
      const res = await client.get('/admin/accounts', headers);
      assert.equal(res.statusCode, 303);
      assert.match(String(res.headers.location), /^\/admin\/login/);
    }
  });

  test('operators see the staff pages; billing, keys and the audit log are 403 for them', async () => {
    const { id: accountId } = await h.account();
    const keyId = (await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', accountId).executeTakeFirstOrThrow()).id;
    const operator = await AdminClient.signedIn(h.app, 'otto');
    for (const url of [...staffPages, `/admin/accounts/${accountId}`]) assert.equal((await operator.get(url)).statusCode, 200, url);
    for (const url of ['/admin/audit', '/admin/accounts/new']) {
      const res = await operator.get(url);
      assert.equal(res.statusCode, 403, url);
      assert.match(res.body, /Accesso negato/);
    }
    const posts: [string, Record<string, string>][] = [
      ['/admin/accounts', { name: 'X', billing_mode: 'prepaid', price: '0.10' }],
      [`/admin/accounts/${accountId}`, { name: 'X', billing_mode: 'postpaid', price: '0' }],
      [`/admin/accounts/${accountId}/topup`, { amount: '100', reason: 'regalo' }],
      [`/admin/accounts/${accountId}/keys`, { label: 'mia' }],
      [`/admin/accounts/${accountId}/keys/${keyId}/revoke`, {}],
    ];
    for (const [url, fields] of posts) assert.equal((await operator.post(url, fields)).statusCode, 403, url);
    // Nothing changed.
    assert.equal((await h.store.db.selectFrom('ledger').select('id').where('account_id', '=', accountId).execute()).length, 1);
    assert.equal((await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', accountId).execute()).length, 1);
    assert.equal((await h.store.db.selectFrom('accounts').select('id').execute()).length, 1);
    // The operator's page shows no billing forms.
    const page = (await operator.get(`/admin/accounts/${accountId}`)).body;
    assert.doesNotMatch(page, /action="[^"]*\/topup"/);
    assert.doesNotMatch(page, /\/revoke"/);
    assert.doesNotMatch(page, /href="\/admin\/audit"/);

    const admin = await AdminClient.signedIn(h.app, 'anna');
    assert.equal((await admin.get('/admin/audit')).statusCode, 200);
    assert.equal((await admin.post(`/admin/accounts/${accountId}/topup`, { amount: '2,50', reason: 'bonifico' })).statusCode, 303);
  });

  test('every POST needs the session token and our own Origin', async () => {
    const { id: accountId } = await h.account();
    const admin = await AdminClient.signedIn(h.app, 'anna');
    const url = `/admin/accounts/${accountId}/topup`;
    const fields = { amount: '1', reason: 'prova' };
    const refused = [
      await admin.post(url, fields, { csrf: null }),
      await admin.post(url, fields, { csrf: 'x'.repeat(43) }),
      await admin.post(url, fields, { origin: 'https://evil.example' }),
      await admin.post(url, fields, { origin: 'null' }),
      await admin.post(url, fields, { origin: null, headers: { referer: 'https://evil.example/form' } }),
    ];
    for (const res of refused) {
      assert.equal(res.statusCode, 403);
      assert.match(res.body, /Richiesta rifiutata/);
    }
    // Another session's token does not work either.
    const other = await AdminClient.signedIn(h.app, 'anna');
    assert.notEqual(other.csrf, admin.csrf);
    assert.equal((await admin.post(url, fields, { csrf: other.csrf })).statusCode, 403);
    assert.equal((await h.store.db.selectFrom('ledger').select('id').where('account_id', '=', accountId).execute()).length, 1);
    // The right token from our origin (or with a same-origin Referer and no Origin) passes.
    assert.equal((await admin.post(url, fields)).statusCode, 303);
    assert.equal((await admin.post(url, fields, { origin: null, headers: { referer: 'http://localhost/admin/accounts' } })).statusCode, 303);
    // Logout is a POST like the others.
    assert.equal((await admin.post('/admin/logout', {}, { csrf: null })).statusCode, 403);
  });

  test('the login form has its own CSRF token (double-submit cookie)', async () => {
    const client = new AdminClient(h.app);
    await client.get('/admin/login');
    assert.equal((await client.post('/admin/login', { username: 'anna', password: PASSWORD }, { csrf: 'forged' })).statusCode, 403);
    client.cookies.delete('cercapec_admin_login');
    assert.equal((await client.post('/admin/login', { username: 'anna', password: PASSWORD })).statusCode, 403);
    assert.equal((await client.tryLogin('anna', PASSWORD)).statusCode, 303);
    // A login form left open in another tab still works after this tab logged in, and replaces the session.
    const before = client.cookies.get('cercapec_admin');
    const stale = new AdminClient(h.app);
    await stale.get('/admin/login');
    client.cookies.set('cercapec_admin_login', stale.cookies.get('cercapec_admin_login')!);
    assert.equal((await client.post('/admin/login', { username: 'otto', password: PASSWORD }, { csrf: stale.csrf })).statusCode, 303);
    assert.notEqual(client.cookies.get('cercapec_admin'), before);
    assert.equal((await h.store.db.selectFrom('admin_sessions').select('token_hash').execute()).length, 1, 'the previous session ended');
  });

  test('five failures slow down that address ("riprova tra 30 secondi"), not the owner elsewhere; unknown names alike', async () => {
    const attacker = new AdminClient(h.app, 'http://localhost', '203.0.113.66');
    for (let i = 0; i < 4; i++) {
      const res = await attacker.tryLogin('anna', 'sbagliata-1234');
      assert.equal(res.statusCode, 401);
      assert.match(res.body, /Nome utente o password errati/);
    }
    const fifth = await attacker.tryLogin('anna', 'sbagliata-1234');
    assert.equal(fifth.statusCode, 429);
    assert.equal(fifth.headers['retry-after'], '30');
    assert.match(fifth.body, /Troppi tentativi non riusciti da questo indirizzo: riprova tra 30 secondi/);
    const waiting = await attacker.tryLogin('anna', PASSWORD);
    assert.equal(waiting.statusCode, 429, 'the right password from the hammering address waits too');
    assert.ok(!attacker.cookies.has('cercapec_admin'));
    // The owner, from another address, logs in while the attacker hammers (it was a lock before).
    await AdminClient.signedIn(h.app, 'anna', { remoteAddress: '198.51.100.10' });
    for (let i = 0; i < 10; i++) assert.equal((await attacker.tryLogin('anna', 'x')).statusCode, 429);
    assert.equal((await new AdminClient(h.app, 'http://localhost', '198.51.100.11').tryLogin('anna', PASSWORD)).statusCode, 303);
    // An unknown name is slowed the same way (nothing revealed about which exist).
    for (let i = 0; i < 4; i++) assert.equal((await attacker.tryLogin('nessuno', 'x')).statusCode, 401);
    assert.equal((await attacker.tryLogin('nessuno', 'x')).statusCode, 429);

    h.clock.advance(30_000);
    assert.equal((await attacker.tryLogin('anna', PASSWORD)).statusCode, 303, 'after the wait');
    const throttles = await listAudit(h.store.db, { action: 'auth.throttle' });
    assert.deepEqual(throttles.map((r) => (r.after as { username: string }).username).sort(), ['anna', 'nessuno']);
    assert.equal((throttles[0].after as { address: string }).address, '203.0.113.66');
  });

  test('login attempts per client address are limited (each costs a scrypt hash), whatever the username', async () => {
    const limited = await createHarness('sqlite', { adminLoginsPerMinute: 20 });
    try {
      await staff(limited.store, limited.clock.now());
      const client = new AdminClient(limited.app);
      for (let i = 0; i < 10; i++) assert.equal((await client.tryLogin(`nome${i}`, 'x')).statusCode, 401, `attempt ${i}`);
      const refused = await client.tryLogin('anna', PASSWORD);
      assert.equal(refused.statusCode, 429);
      assert.match(refused.body, /Troppi tentativi di accesso da questo indirizzo/);
      limited.clock.advance(60_000);
      assert.equal((await client.tryLogin('anna', PASSWORD)).statusCode, 303);
    } finally {
      await limited.close();
    }
  });

  test('a session ends after 30 idle minutes; activity keeps it alive', async () => {
    const client = await AdminClient.signedIn(h.app, 'otto');
    for (let i = 0; i < 4; i++) {
      h.clock.advance(29 * MINUTE);
      assert.equal((await client.get('/admin/queue')).statusCode, 200, `view ${i}`);
    }
    h.clock.advance(30 * MINUTE);
    const res = await client.get('/admin/queue');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/admin/login?expired=1&next=%2Fadmin%2Fqueue');
    assert.match((await client.get(String(res.headers.location))).body, /Sessione scaduta/);
    assert.equal((await h.store.db.selectFrom('admin_sessions').select('token_hash').execute()).length, 0, 'expired session deleted');
  });

  test('logout ends the session: the old cookie opens nothing', async () => {
    const client = await AdminClient.signedIn(h.app, 'otto');
    const cookie = client.cookies.get('cercapec_admin')!;
    const res = await client.post('/admin/logout', {});
    assert.equal(res.statusCode, 303);
    assert.ok(!client.cookies.has('cercapec_admin'));
    client.cookies.set('cercapec_admin', cookie);
    assert.equal((await client.get('/admin')).statusCode, 303);
  });

  test('cookies: HttpOnly, SameSite=Strict, Path=/admin; Secure when the request came over https', async () => {
    const client = new AdminClient(h.app);
    await client.get('/admin/login');
    const res = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      payload: new URLSearchParams({ username: 'anna', password: PASSWORD, _csrf: client.csrf }).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `cercapec_admin_login=${client.cookies.get('cercapec_admin_login')}`,
        origin: 'http://localhost',
      },
    });
    const session = res.cookies.find((c) => c.name === 'cercapec_admin')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/admin');
    assert.ok(!session.secure);
    assert.match(session.value, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
    const stored = await h.store.db.selectFrom('admin_sessions').select('token_hash').execute();
    assert.deepEqual(stored.map((s) => s.token_hash).includes(session.value), false, 'only a hash is stored');

    const proxied = await createHarness('sqlite', { trustProxy: true });
    try {
      await staff(proxied.store, proxied.clock.now());
      const c = new AdminClient(proxied.app, 'https://localhost');
      // As a TLS-terminating proxy forwards it: the public Host, and the scheme in X-Forwarded-Proto.
      const behindProxy = { host: 'localhost', 'x-forwarded-proto': 'https' };
      await c.get('/admin/login', behindProxy);
      const r = await c.post('/admin/login', { username: 'anna', password: PASSWORD }, { headers: behindProxy });
      assert.equal(r.statusCode, 303, r.body.slice(0, 300));
      assert.equal(r.headers['set-cookie']?.toString().includes('Secure'), true);
    } finally {
      await proxied.close();
    }
  });

  test('pages: no inline script or style, no caching, CSP, Italian with an English switch', async () => {
    const { id: accountId } = await h.account();
    const { requestId } = await waitingRequest(h, accountId, cf11(1));
    const admin = await AdminClient.signedIn(h.app, 'anna');
    const pages = [...staffPages, '/admin/audit', '/admin/accounts/new', `/admin/accounts/${accountId}`, `/admin/requests/${requestId}`, '/admin?hours=48'];
    const icon = await h.app.inject({ method: 'GET', url: '/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.match(String(icon.headers['content-type']), /^image\/svg\+xml/);
    for (const url of pages) {
      const res = await admin.get(url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['cache-control'], 'no-store', url);
      assert.match(res.body, /<link rel="icon" href="\/favicon\.svg" type="image\/svg\+xml">/, `${url}: the product's icon`);
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/, url);
      assert.equal(res.headers['referrer-policy'], 'same-origin', url);
      assert.match(res.body, /<html lang="it">/, url);
      for (const [tag] of res.body.matchAll(/<script\b[^>]*>/g)) assert.match(tag, /src="\/admin\/assets\/|type="application\/json"/, `${url}: ${tag}`);
      assert.doesNotMatch(res.body, /\sstyle="|<style|\son[a-z]+="/i, url);
    }
    const en = await admin.get('/admin/queue?lang=en');
    assert.match(en.body, /<html lang="en">/);
    assert.match(en.body, /Operator queue/);
    assert.equal(admin.cookies.get('cercapec_admin_lang'), 'en');
    assert.match((await admin.get('/admin/accounts')).body, /<html lang="en">/, 'the choice is remembered');
    assert.match((await admin.get('/admin/accounts?lang=it')).body, /<html lang="it">/);
  });

  test('text in pages is escaped', async () => {
    const { id } = await h.account({ name: '<img src=x onerror=alert(1)> & "Rossi"' });
    const admin = await AdminClient.signedIn(h.app, 'anna');
    const body = (await admin.get(`/admin/accounts/${id}`)).body;
    assert.ok(!body.includes('<img src=x'));
    assert.ok(body.includes('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Rossi&quot;'));
  });

  test('after login the person lands where they wanted to go, never on another host', async () => {
    const client = new AdminClient(h.app);
    const first = await client.get('/admin/requests?status=found');
    assert.equal(first.headers.location, '/admin/login?next=%2Fadmin%2Frequests%3Fstatus%3Dfound');
    await client.get(String(first.headers.location));
    const res = await client.post('/admin/login', { username: 'otto', password: PASSWORD, next: '/admin/requests?status=found' });
    assert.equal(res.headers.location, '/admin/requests?status=found');
    for (const next of ['//evil.example', 'https://evil.example', '/admin\\@evil', '/adminx']) {
      const c = new AdminClient(h.app);
      await c.get('/admin/login');
      assert.equal((await c.post('/admin/login', { username: 'otto', password: PASSWORD, next })).headers.location, '/admin', next);
    }
  });
});
