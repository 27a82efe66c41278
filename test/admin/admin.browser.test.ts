/**
 * The back office in headless Chromium against a real listening server: log in with the
 * keyboard, answer a waiting request (claim, type the PEC, Enter) and see the customer's polls
 * on both protocols return it, top up and see `saldo` change, a forged cross-origin form
 * refused, the login throttle after failed logins, the dashboard's charts drawn without a CSP
 * violation, the second factor's pages (enrolment, code step) accessible, and no page wider
 * than a 360 px phone. Skipped (with the reason) when Chromium is
 * missing, unless CI is set: then it fails.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createHarness, type Harness } from '../helpers/services.ts';
import { PASSWORD, staff, waitingRequest, cf11 } from './admin-fixture.ts';
import { generate } from 'otplib';
import { createUser } from '../../src/users/users.ts';
import { TEST_SCRYPT } from '../helpers/password-cost.ts';

const CHROMIUM = '/usr/bin/chromium';
/** axe-core's browser bundle, evaluated in each page (a context that bypasses the CSP for it: the pages allow no injected script). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const INSTALL_HINT = 'chromium not installed: apt-get install -y chromium';
const TMP = fileURLToPath(new URL('../../.tmp/', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
const skip = haveChromium || process.env.CI ? false : INSTALL_HINT;

describe('back office in headless Chromium', { skip }, () => {
  let h: Harness | undefined;
  let browser: Browser | undefined;
  let base = '';
  /** Another origin on the same site (another port): SameSite=Strict cookies still go along. */
  let evil: Server | undefined;
  let evilBase = '';
  let evilPage = '';

  before(async () => {
    if (!haveChromium) throw new Error(`${INSTALL_HINT} (CI is set, so the browser suite fails instead of skipping)`);
    h = await createHarness('sqlite', { adminLoginsPerMinute: 0 });
    await staff(h.store, h.clock.now());
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(evilPage));
    await new Promise<void>((resolve) => evil!.listen(0, '127.0.0.1', resolve));
    evilBase = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (evil ? evil.close(resolve) : resolve(undefined)));
    await h?.close();
  });

  function harness(): Harness {
    assert.ok(h, 'harness started');
    return h;
  }

  /** A fresh browser context; console errors (CSP violations among them) are collected. */
  async function newPage(t: { after(fn: () => Promise<void>): void }, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; errors: string[] }> {
    assert.ok(browser, 'browser launched');
    const context = await browser.newContext({ viewport, locale: 'it-IT' });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  /** Waits until autofocus (applied at the first rendering after load) has put the focus on `selector`. */
  async function focusOn(page: Page, selector: string): Promise<void> {
    // A string expression: the test's TypeScript has no DOM types.
    await page.waitForFunction(`document.activeElement === document.querySelector(${JSON.stringify(selector)})`, undefined, { timeout: 5000 });
  }

  /** Logs in with the keyboard only: type, Tab, type, Enter. */
  async function login(page: Page, username: string, password = PASSWORD): Promise<void> {
    await page.goto(`${base}/admin`);
    assert.match(page.url(), /\/admin\/login\?next=%2Fadmin/);
    await focusOn(page, '#username'); // autofocus, applied once the page has rendered
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/admin/login')), page.keyboard.press('Enter')]);
  }

  /**
   * An access key as Chromium on Linux takes it: Alt with the key's character. Playwright's
   * keyboard.press('Alt+p') sends no character with Alt, which Blink's access-key handling
   * needs, so the events go through the DevTools protocol.
   */
  async function accessKey(page: Page, key: string): Promise<void> {
    const cdp = await page.context().newCDPSession(page);
    const event = { modifiers: 1, key, code: `Key${key.toUpperCase()}`, windowsVirtualKeyCode: key.toUpperCase().charCodeAt(0) };
    await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...event });
    await cdp.send('Input.dispatchKeyEvent', { type: 'char', text: key, unmodifiedText: key, ...event });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...event });
    await cdp.detach();
  }

  const saldo = async (key: string) => (await fetch(`${base}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, saldo: '' }) })).text();

  test('log in, claim with Enter, answer by typing the PEC and Enter; both protocols return it', async (t) => {
    const { id, key } = await harness().account({ operatorFallback: true });
    const { requestId } = await waitingRequest(harness(), id, cf11(1));
    const text = async () => (await fetch(`${base}/index_ws.php?key=${key}&token=${requestId}`)).text();
    assert.equal(await text(), `WAIT|${requestId}`);
    // A customer already waiting on the JSON long poll.
    const longPoll = fetch(`${base}/v1/lookups/${requestId}?wait=30`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json());

    const { page, errors } = await newPage(t);
    await login(page, 'otto');
    assert.equal(new URL(page.url()).pathname, '/admin');
    await page.goto(`${base}/admin/queue`);
    await focusOn(page, 'button[accesskey="p"]');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Prendi la prossima');
    await Promise.all([page.waitForURL(/\/admin\/queue\/job_/), page.keyboard.press('Enter')]);
    await focusOn(page, '#pec');
    assert.equal(await page.locator('h1').innerText(), `Richiesta ${cf11(1)}`);
    await page.keyboard.type('segreteria@pec.esempio.it');
    await Promise.all([page.waitForURL(/\/admin\/queue\?done=answered/), page.keyboard.press('Enter')]);
    assert.match(await page.locator('[role="status"]').innerText(), /Risposta registrata/);

    const json = (await longPoll) as { status: string; pec: string };
    assert.deepEqual([json.status, json.pec], ['found', 'segreteria@pec.esempio.it']);
    assert.equal(await text(), 'OK|segreteria@pec.esempio.it|pec trovata');
    assert.deepEqual(errors, []);
  });

  test('the access keys claim and answer "not found" without the mouse', async (t) => {
    const { id, key } = await harness().account({ operatorFallback: true });
    const { requestId } = await waitingRequest(harness(), id, cf11(2));
    const { page } = await newPage(t);
    await login(page, 'olga');
    await page.goto(`${base}/admin/queue`);
    await Promise.all([page.waitForURL(/\/admin\/queue\/job_/), accessKey(page, 'p')]);
    await page.locator('#note-notfound').fill('cessata');
    await Promise.all([page.waitForURL(/done=answered/), accessKey(page, 't')]);
    assert.equal(await (await fetch(`${base}/index_ws.php?key=${key}&token=${requestId}`)).text(), 'OK||pec non trovata');
  });

  test('an admin tops up an account and saldo changes', async (t) => {
    const { id, key } = await harness().account({ initialCreditCents: 500 });
    assert.equal(await saldo(key), '5.00');
    const { page } = await newPage(t);
    await login(page, 'anna');
    await page.goto(
      `${base}/admin/accounts?q=${encodeURIComponent((await harness().store.db.selectFrom('accounts').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name)}`,
    );
    await Promise.all([page.waitForURL(`${base}/admin/accounts/${id}`), page.locator('#accounts a').first().click()]);
    await page.locator('#amount').fill('20,00');
    await page.locator('#reason').fill('bonifico del 28/11');
    await Promise.all([page.waitForURL(/done=topup/), page.locator('#reason').press('Enter')]);
    assert.equal(await page.locator('#balance').innerText(), '25,00 €');
    assert.equal(await saldo(key), '25.00');
  });

  test('a form posted from another origin is refused, even one carrying a real token', async (t) => {
    const { id, key } = await harness().account({ initialCreditCents: 500 });
    const { page } = await newPage(t);
    await login(page, 'anna');
    await page.goto(`${base}/admin/accounts/${id}`);
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    for (const csrf of ['', token]) {
      evilPage = `<!doctype html><form method="post" action="${base}/admin/accounts/${id}/topup">
        <input name="_csrf" value="${csrf}"><input name="amount" value="1000"><input name="reason" value="regalo">
        <button id="go" type="submit">vinci</button></form>`;
      await page.goto(`${evilBase}/`);
      const [response] = await Promise.all([page.waitForResponse(`${base}/admin/accounts/${id}/topup`), page.locator('#go').click()]);
      assert.equal(response.status(), 403);
      assert.equal(await page.locator('h1').innerText(), 'Richiesta rifiutata');
    }
    assert.equal(await saldo(key), '5.00');
  });

  test('five wrong passwords make this address wait, even for the right one', async (t) => {
    const { page } = await newPage(t);
    await page.goto(`${base}/admin/login`);
    for (let i = 0; i < 5; i++) {
      await page.locator('#username').fill('anna');
      await page.locator('#password').fill(`sbagliata-${i}`);
      await Promise.all([page.waitForLoadState('load'), page.locator('#password').press('Enter')]);
      await page.waitForSelector('[role="alert"]');
    }
    assert.match(await page.locator('[role="alert"]').innerText(), /riprova tra 30 secondi/);
    await page.locator('#username').fill('anna');
    await page.locator('#password').fill(PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.locator('#password').press('Enter')]);
    assert.match(await page.locator('[role="alert"]').innerText(), /riprova tra 30 secondi/);
    assert.match(page.url(), /\/admin\/login$/);
    harness().clock.advance(15 * 60_000);
  });

  test('the dashboard draws its charts with uPlot, from the package, without CSP errors', async (t) => {
    const { id } = await harness().account({ operatorFallback: true });
    const { requestId } = await waitingRequest(harness(), id, cf11(3));
    const now = harness().clock.now();
    await harness()
      .store.db.insertInto('attempts')
      .values([
        { id: 'att_dash_1', request_id: requestId, source: 'directory', started_at: now, finished_at: now + 2, outcome: 'not_found', error: null },
        { id: 'att_dash_2', request_id: requestId, source: 'inipec', started_at: now, finished_at: now + 900, outcome: 'transient_error', error: 'timeout' },
      ])
      .execute();
    const { page, errors } = await newPage(t);
    await login(page, 'otto');
    await page.goto(`${base}/admin`);
    for (const chart of ['chart-hourly', 'chart-times']) {
      await page.waitForSelector(`#${chart}[data-drawn="true"] canvas`);
    }
    await page.waitForSelector('#chart-sources[data-drawn="true"] canvas');
    mkdirSync(TMP, { recursive: true });
    await page.screenshot({ path: `${TMP}admin-dashboard.png`, fullPage: true });
    assert.deepEqual(errors, [], 'no CSP violation or script error');
    await page.goto(`${base}/admin?lang=en`);
    assert.equal(await page.locator('h1').innerText(), 'Dashboard');
    await page.waitForSelector('#chart-hourly[data-drawn="true"] canvas');
    assert.deepEqual(errors, []);
  });

  test('the dashboard per day, its tables and a wrong period: charts drawn, no script error, no axe violation', async (t) => {
    const { id } = await harness().account({ name: 'Saldo basso Srl', initialCreditCents: 300 });
    await waitingRequest(harness(), id, cf11(5));
    const { page, errors } = await newPage(t);
    await login(page, 'otto');
    for (const path of ['/admin?range=7d', '/admin?range=7d&lang=en', '/admin?range=today&below=5&lang=it']) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector('#chart-hourly[data-drawn="true"] canvas');
      await page.waitForSelector('#chart-times[data-drawn="true"] canvas');
    }
    assert.equal(await page.locator('#low-balance a').first().innerText(), 'Saldo basso Srl');
    await page.goto(`${base}/admin?range=7d`);
    await page.waitForSelector('#chart-hourly[data-drawn="true"] canvas');
    mkdirSync(TMP, { recursive: true });
    await page.screenshot({ path: `${TMP}admin-dashboard-7d.png`, fullPage: true });
    assert.deepEqual(errors, [], 'no CSP violation or script error');

    // axe runs in a context that lets its script in (the pages' CSP allows none).
    assert.ok(browser, 'browser launched');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'it-IT', bypassCSP: true });
    t.after(() => context.close());
    const axePage = await context.newPage();
    await login(axePage, 'otto');
    for (const path of ['/admin?range=7d', '/admin?range=today&below=5', '/admin?from=2026-11-20&to=2026-11-10&below=x']) {
      for (const lang of ['it', 'en']) {
        await axePage.goto(`${base}${path}&lang=${lang}`);
        await axePage.evaluate(AXE_SOURCE);
        const violations = (await axePage.evaluate(
          'axe.run(document).then((r) => r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(", ")))',
        )) as string[];
        assert.deepEqual(violations, [], `${path} (${lang})`);
      }
    }
  });

  test('axe finds no violation on the pages of accounts, requests, confirmations, the queue and the audit log', async (t) => {
    assert.ok(browser, 'browser launched');
    const { id, key } = await harness().account({ operatorFallback: true, name: 'Studio 100% Verdi' });
    const keyId = (await harness().store.db.selectFrom('api_keys').select('id').where('account_id', '=', id).executeTakeFirstOrThrow()).id;
    const { requestId, jobId } = await waitingRequest(harness(), id, cf11(7));
    assert.ok(key);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'it-IT', bypassCSP: true });
    t.after(() => context.close());
    const page = await context.newPage();
    await login(page, 'olga');
    await page.goto(`${base}/admin/queue`);
    await page.locator('button[accesskey="p"]').click();
    await page.waitForURL(/\/admin\/queue\/job_/);
    await page.goto(`${base}/admin/login`);
    await page.context().clearCookies();
    await login(page, 'anna');
    const pages = [
      '/admin/accounts',
      `/admin/accounts?q=${encodeURIComponent('100%')}`,
      `/admin/accounts/${id}`,
      `/admin/accounts/${id}/keys/${keyId}/revoke`,
      `/admin/requests/${requestId}`,
      `/admin/requests/${requestId}/cancel`,
      `/admin/queue?held=${jobId}`,
      '/admin/audit',
      '/admin/nope',
    ];
    for (const path of pages) {
      for (const lang of ['it', 'en']) {
        await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        await page.evaluate(AXE_SOURCE);
        const violations = (await page.evaluate(
          'axe.run(document).then((r) => r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(", ")))',
        )) as string[];
        assert.deepEqual(violations, [], `${path} (${lang})`);
      }
    }
  });

  test('the second factor: enrol in the browser, log in with the code; axe finds no violation on its pages, none overflows at 360 px', async (t) => {
    assert.ok(browser, 'browser launched');
    await createUser(harness().store, harness().clock.now(), { username: 'teo', password: PASSWORD, role: 'operator' }, undefined, TEST_SCRYPT);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'it-IT', bypassCSP: true });
    t.after(() => context.close());
    const page = await context.newPage();
    const axe = async (label: string) => {
      await page.evaluate(AXE_SOURCE);
      const violations = (await page.evaluate(
        'axe.run(document).then((r) => r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(", ")))',
      )) as string[];
      assert.deepEqual(violations, [], label);
    };
    const code = () => generate({ secret, epoch: Math.floor(harness().clock.now() / 1000) });
    await login(page, 'teo');
    await page.goto(`${base}/admin/me`);
    await axe('/admin/me');
    await page.goto(`${base}/admin/me/totp`);
    await axe('/admin/me/totp, no secret yet');
    await Promise.all([page.waitForURL(/\/admin\/me\/totp$/), page.locator('#totp-start button').click()]);
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replaceAll(' ', '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    for (const lang of ['it', 'en']) {
      await page.goto(`${base}/admin/me/totp?lang=${lang}`);
      await axe(`/admin/me/totp (${lang})`);
    }
    await page.setViewportSize({ width: 360, height: 740 });
    const { scrollWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth })')) as { scrollWidth: number };
    assert.ok(scrollWidth <= 360, `/admin/me/totp: scrollWidth ${scrollWidth} > 360`);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/admin/me/totp?lang=it`);
    await page.locator('#code').fill(await code());
    await Promise.all([page.waitForURL(/\/admin\/me\?done=totp-on/), page.locator('#totp-confirm button').click()]);
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await axe('/admin/me with the recovery codes');
    await page.goto(`${base}/admin/me/totp/disable`);
    await axe('/admin/me/totp/disable');

    // Log in again: the password, then the code step.
    harness().clock.advance(30_000);
    await context.clearCookies();
    await page.goto(`${base}/admin/login`);
    await focusOn(page, '#username');
    await page.keyboard.type('teo');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL(/\/admin\/login\/code\?next=%2Fadmin$/), page.keyboard.press('Enter')]);
    await focusOn(page, '#code');
    await axe('/admin/login/code');
    await page.keyboard.type(await code());
    await Promise.all([page.waitForURL(`${base}/admin`), page.keyboard.press('Enter')]);
    assert.match((await page.locator('#nav a[href="/admin/me"], nav a[href="/admin/me"]').first().textContent()) ?? '', /Il mio profilo/);
  });

  test('at 360 px no back-office page overflows horizontally (screenshots in .tmp/)', async (t) => {
    const { id } = await harness().account({ operatorFallback: true, name: 'Un account con un nome piuttosto lungo S.r.l.' });
    const { requestId } = await waitingRequest(harness(), id, cf11(4));
    const { page } = await newPage(t, { width: 360, height: 740 });
    await login(page, 'anna');
    mkdirSync(TMP, { recursive: true });
    for (const [name, path] of [
      ['dashboard', '/admin'],
      ['queue', '/admin/queue'],
      ['requests', '/admin/requests'],
      ['request', `/admin/requests/${requestId}`],
      ['accounts', '/admin/accounts'],
      ['account', `/admin/accounts/${id}`],
      ['audit', '/admin/audit'],
    ]) {
      await page.goto(`${base}${path}`);
      if (path === '/admin') await page.waitForSelector('#chart-hourly[data-drawn="true"] canvas');
      await page.screenshot({ path: `${TMP}admin-${name}-360.png`, fullPage: true });
      const { scrollWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth })')) as { scrollWidth: number };
      assert.ok(scrollWidth <= 360, `${path}: scrollWidth ${scrollWidth} > 360`);
    }
  });
});
