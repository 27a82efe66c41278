/**
 * The TOTP second factor over HTTP with the form client (issue 17 item 12), on both dialects:
 * enrolment from /admin/me, the login's second step (form#totp), the throttle, a replay, a
 * recovery code, turning it off, an admin's reset from /admin/users, and the CLI's reset.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { AdminClient, PASSWORD, staff } from './admin-fixture.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { totpState } from '../../src/users/second-factor.ts';
import type { User } from '../../src/users/users.ts';
import { confirmTotp, startTotp } from '../../src/users/totp-enrolment.ts';
import { customer, PortalClient } from '../web/portal/portal-fixture.ts';

await eachDialect(describe, 'second factor in the back office', (dialect) => {
  let h: Harness;
  let people: { admin: User; operator: User; operator2: User };

  beforeEach(async () => {
    h = await createHarness(dialect);
    people = await staff(h.store, h.clock.now());
  });
  afterEach(() => h.close());

  const codeNow = (secret: string) => generate({ secret, epoch: Math.floor(h.clock.now() / 1000) });

  /** Otto turns his second factor on through the pages; returns the secret and the recovery codes shown. */
  async function enrol(client: AdminClient): Promise<{ secret: string; codes: string[] }> {
    const profile = await client.get('/admin/me');
    assert.match(profile.body, /id="totp-state">non attivo</);
    assert.match(profile.body, /href="\/admin\/me" aria-current="page">Il mio profilo</);
    const empty = await client.get('/admin/me/totp');
    assert.match(empty.body, /<form method="post" action="\/admin\/me\/totp\/start"/);
    const started = await client.post('/admin/me/totp/start', {});
    assert.equal(started.headers.location, '/admin/me/totp');
    const page = await client.get('/admin/me/totp');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)?.[1].replaceAll(' ', '');
    assert.ok(secret && secret.length === 32);
    assert.match(page.body, new RegExp(`href="otpauth://totp/cercapec:otto\\?secret=${secret}&amp;issuer=cercapec"`));
    assert.equal((await client.get('/admin/me/totp')).body.includes(secret.slice(0, 4)), true, 'a reload shows the same secret');
    assert.match(
      page.body,
      /<svg class="qr" role="img" aria-label="Codice QR del link otpauth" xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"><rect fill="white"[^>]*\/><path fill="black" d="M[^"]+"\/><\/svg>/,
    );

    const wrong = await client.post('/admin/me/totp', { code: '12345x' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /role="alert">Codice errato/);
    const confirmed = await client.post('/admin/me/totp', { code: await codeNow(secret) });
    assert.equal(confirmed.statusCode, 303);
    assert.equal(confirmed.headers.location, '/admin/me?done=totp-on');
    const shown = await client.get('/admin/me?done=totp-on');
    assert.match(shown.body, /role="status">Secondo fattore attivo/);
    const codes = [...shown.body.matchAll(/<li><code>([a-z2-9-]{19})<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);
    assert.match(shown.body, /id="totp-state">attivo dal/);
    const again = await client.get('/admin/me');
    assert.doesNotMatch(again.body, /recovery-codes/, 'shown once');
    assert.equal((await client.get('/admin/me/totp')).headers.location, '/admin/me', 'nothing to enrol once on');
    h.clock.advance(30_000);
    return { secret, codes };
  }

  /** A fresh browser that gets past the password: it lands on the code step without a session. */
  async function toCodeStep(address = '127.0.0.1'): Promise<AdminClient> {
    const client = new AdminClient(h.app, 'http://localhost', address);
    const res = await client.tryLogin('otto', PASSWORD);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/admin/login/code?next=%2Fadmin');
    assert.ok(!client.cookies.has('cercapec_admin'), 'no session before the code');
    assert.ok(client.cookies.has('cercapec_admin_code'));
    assert.equal((await client.get('/admin/queue')).statusCode, 303, 'the challenge opens no page');
    const step = await client.get('/admin/login/code?next=%2Fadmin');
    assert.equal(step.statusCode, 200);
    assert.match(step.body, /<form id="totp" method="post" action="\/admin\/login\/code"/);
    assert.match(step.body, /name="code"[^>]*autocomplete="one-time-code"/);
    return client;
  }

  test('enrol, then log in with the code; a replayed code and a wrong one are refused; a recovery code works once', async () => {
    const otto = new AdminClient(h.app);
    await otto.login('otto');
    const { secret, codes } = await enrol(otto);

    const b = await toCodeStep();
    const wrong = await b.post('/admin/login/code', { code: '000000', next: '/admin/queue' });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /role="alert">Codice errato o già usato\./);
    const code = await codeNow(secret);
    const ok = await b.post('/admin/login/code', { code, next: '/admin/queue' });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/admin/queue');
    assert.ok(b.cookies.has('cercapec_admin'));
    assert.ok(!b.cookies.has('cercapec_admin_code'), 'the challenge cookie goes');
    assert.equal((await b.get('/admin/queue')).statusCode, 200);

    const replay = await toCodeStep();
    assert.equal((await replay.post('/admin/login/code', { code })).statusCode, 401, 'the same code twice: refused');
    const recovered = await replay.post('/admin/login/code', { code: codes[0] });
    assert.equal(recovered.statusCode, 303);
    assert.ok(replay.cookies.has('cercapec_admin'));
    const reuse = await toCodeStep();
    assert.equal((await reuse.post('/admin/login/code', { code: codes[0] })).statusCode, 401, 'a recovery code works once');
    assert.match((await replay.get('/admin/me')).body, /id="recovery-left">9</);
  });

  test('the code step keeps the login form rules: CSRF token and origin, and no step without the password', async () => {
    const otto = new AdminClient(h.app);
    await otto.login('otto');
    const { secret } = await enrol(otto);
    const b = await toCodeStep();
    assert.equal((await b.post('/admin/login/code', { code: await codeNow(secret) }, { csrf: 'x' })).statusCode, 403);
    assert.equal((await b.post('/admin/login/code', { code: await codeNow(secret) }, { origin: 'https://evil.example' })).statusCode, 403);
    const stranger = new AdminClient(h.app);
    assert.equal((await stranger.get('/admin/login/code')).headers.location, '/admin/login');
    await stranger.get('/admin/login');
    const none = await stranger.post('/admin/login/code', { code: await codeNow(secret) });
    assert.equal(none.statusCode, 401);
    assert.match(none.body, /<form id="login"/);
    assert.match(none.body, /Verifica scaduta/);
    // Five minutes later the challenge is gone: back to the password.
    h.clock.advance(5 * 60_000);
    const late = await b.post('/admin/login/code', { code: await codeNow(secret) });
    assert.equal(late.statusCode, 401);
    assert.match(late.body, /<form id="login"/);
    assert.ok(!b.cookies.has('cercapec_admin'));
  });

  test('wrong codes are throttled with the passwords: after five the challenge ends and the address waits', async () => {
    const otto = new AdminClient(h.app);
    await otto.login('otto');
    const { secret } = await enrol(otto);
    const b = await toCodeStep('192.0.2.44');
    for (let i = 0; i < 4; i++) assert.equal((await b.post('/admin/login/code', { code: String(100000 + i) })).statusCode, 401);
    const fifth = await b.post('/admin/login/code', { code: '100004' });
    assert.equal(fifth.statusCode, 401);
    assert.match(fifth.body, /<form id="login"/, 'back to the password');
    const waiting = await b.tryLogin('otto', PASSWORD);
    assert.equal(waiting.statusCode, 429, 'the right password waits too');
    assert.equal(waiting.headers['retry-after'], '30');
    assert.ok(!b.cookies.has('cercapec_admin'));
    h.clock.advance(31_000);
    const step = await b.tryLogin('otto', PASSWORD);
    assert.equal(step.statusCode, 303);
    assert.equal((await b.post('/admin/login/code', { code: await codeNow(secret) })).statusCode, 303);
    const [audit] = await listAudit(h.store.db, { action: 'auth.throttle' });
    assert.equal(audit.target, people.operator.id);
  });

  test('turning it off takes the password and a code; an admin resets it from the user page; someone without it logs in as before', async () => {
    const otto = new AdminClient(h.app);
    await otto.login('otto');
    const { secret } = await enrol(otto);
    assert.match((await otto.get('/admin/me')).body, /href="\/admin\/me\/totp\/disable"/);
    const form = await otto.get('/admin/me/totp/disable');
    assert.match(form.body, /<form method="post" action="\/admin\/me\/totp\/disable" id="totp-disable"/);
    const bad = await otto.post('/admin/me/totp/disable', { password: 'non-la-password', code: await codeNow(secret) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Password o codice errati/);
    const off = await otto.post('/admin/me/totp/disable', { password: PASSWORD, code: await codeNow(secret) });
    assert.equal(off.headers.location, '/admin/me?done=totp-off');
    assert.match((await otto.get('/admin/me?done=totp-off')).body, /id="totp-state">non attivo</);
    await new AdminClient(h.app).login('otto');

    h.clock.advance(30_000);
    await enrol(otto);
    const anna = new AdminClient(h.app);
    await anna.login('anna');
    const page = await anna.get(`/admin/users/${people.operator.id}`);
    assert.match(page.body, /id="user-totp">attivo dal/);
    assert.match(page.body, new RegExp(`href="/admin/users/${people.operator.id}/totp-reset">Azzera il secondo fattore<`));
    assert.doesNotMatch((await anna.get(`/admin/users/${people.operator2.id}`)).body, /totp-reset/, 'nothing to reset');
    assert.match((await anna.get(`/admin/users/${people.operator.id}/totp-reset`)).body, /Azzerare il secondo fattore di otto\?/);
    const operator = new AdminClient(h.app);
    await operator.login('olga');
    assert.equal((await operator.post(`/admin/users/${people.operator.id}/totp-reset`, { confirm: '1' })).statusCode, 403, 'admins only');
    const reset = await anna.post(`/admin/users/${people.operator.id}/totp-reset`, { confirm: '1' });
    assert.equal(reset.headers.location, `/admin/users/${people.operator.id}?done=totp-reset`);
    assert.match((await anna.get(String(reset.headers.location))).body, /role="status">Secondo fattore azzerato\./);
    assert.equal((await totpState(h.store.db, people.operator.id)).enabledAt, null);
    await new AdminClient(h.app).login('otto');
    const [audit] = await listAudit(h.store.db, { action: 'user.totp_reset' });
    assert.deepEqual([audit.actor, audit.target, audit.after], ['user:anna', people.operator.id, { enabled: false }]);
    const audits = await anna.get('/admin/audit');
    assert.match(audits.body, /secondo fattore azzerato/);
  });

  test('the English pages', async () => {
    const otto = new AdminClient(h.app);
    await otto.login('otto');
    const page = await otto.get('/admin/me/totp?lang=en');
    assert.match(page.body, /<h1>Second factor \(TOTP\)<\/h1>/);
    await otto.post('/admin/me/totp/start', {});
    assert.match((await otto.get('/admin/me/totp')).body, /Type the code the app shows now/);
  });

  test("the portal's login has the same second step, for a customer who has one", async () => {
    const { id: accountId } = await h.account({ name: 'Rossi' });
    const mario = await customer(h.store, h.clock.now(), 'mario', accountId);
    const plain = new PortalClient(h.app);
    await plain.login('mario');
    const secret = await startTotp(h.store, mario, h.clock.now());
    assert.ok(await confirmTotp(h.store, mario, await codeNow(secret), h.clock.now(), { actor: 'user:mario' }));
    h.clock.advance(30_000);
    const p = new PortalClient(h.app);
    const res = await p.tryLogin('mario', PASSWORD);
    assert.equal(res.headers.location, '/portal/login/code?next=%2Fportal');
    assert.ok(!p.cookies.has('cercapec_portal'));
    assert.match((await p.get(String(res.headers.location))).body, /<form id="totp" method="post" action="\/portal\/login\/code"/);
    assert.equal((await p.post('/portal/login/code', { code: await codeNow(secret) })).statusCode, 303);
    assert.ok(p.cookies.has('cercapec_portal'));
    assert.equal((await p.get('/portal')).statusCode, 200);
  });
});
