/**
 * The four test forms in headless Chromium against a real listening server: submit a code, poll
 * its answer, read the balance, delete a request, and the home page's links and small-screen
 * layout. Skipped (with the reason) when Chromium is missing, unless CI is set: then it fails.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { createHarness, type Harness } from '../helpers/services.ts';
import { launchChromium, openPage, screenshotDir, skipWithoutChromium } from '../helpers/browser.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { isPending } from '../../src/lookups/lookup-status.ts';

const SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));

const FOUND_CODE = '82003050109';
const FOUND_PEC = 'protocollo@pec.comune.rezzoaglio.ge.it';
/** Resolves as soon as the worker answers; only bounds a broken run. */
const ANSWER_TIMEOUT_MS = 15_000;

describe('test forms in headless Chromium', { skip: skipWithoutChromium }, () => {
  let h: Harness | undefined;
  let browser: Browser | undefined;
  let base = '';

  before(async () => {
    h = await createHarness();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    await importDataset(h.store, h.clock, { file: SAMPLE, format: 'ipa-enti', name: 'ipa-enti-browser' });
    h.worker.start();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  function harness(): Harness {
    assert.ok(h, 'harness started');
    return h;
  }

  async function newPage(t: { after(fn: () => Promise<void>): void }, viewport = { width: 1024, height: 768 }): Promise<Page> {
    return (await openPage(browser, t, { viewport, locale: 'it-IT' })).page;
  }

  /** Opens a form, fills it, submits it and returns the protocol's answer line shown by the browser. */
  async function submitForm(page: Page, path: string, fields: Record<string, string>): Promise<string> {
    const res = await page.goto(`${base}${path}`);
    assert.equal(res?.status(), 200, path);
    for (const [id, value] of Object.entries(fields)) await page.locator(`[id="${id}"]`).fill(value);
    await Promise.all([page.waitForURL(/\/index_ws\.php/), page.locator('main form button[type="submit"]').click()]);
    return (await page.locator('body').innerText()).trim();
  }

  /**
   * Resolves when the request is answered. Subscribes first, then reads the row, so an answer
   * given before the subscription is not missed (the worker runs from the start).
   */
  async function answered(token: string): Promise<void> {
    const { services, store } = harness();
    const stop = new AbortController();
    const wait = services.notifier.waitForAnswer(token, ANSWER_TIMEOUT_MS, stop.signal);
    try {
      const row = await store.db.selectFrom('requests').select('status').where('id', '=', token).executeTakeFirstOrThrow();
      if (!isPending(row.status)) return;
      assert.equal(await wait, true, `request ${token} answered`);
    } finally {
      stop.abort(); // clears the wait's timer when the answer came first
    }
  }

  test('submit with index_post.html, then poll with index_get.html until the PEC is found', async (t) => {
    const { key } = await harness().account();
    const page = await newPage(t);

    const submitted = await submitForm(page, '/index_post.html', { key, cf: FOUND_CODE });
    const token = /^OK\|([A-Za-z0-9_-]{22,})$/.exec(submitted)?.[1];
    assert.ok(token, `submit answer: ${submitted}`);

    // The same code again from the form: the Italian answer arrives intact.
    assert.equal(await submitForm(page, '/index_post.html', { key, cf: ` it ${FOUND_CODE}` }), 'Error|Richiesta già presente');

    await answered(token);
    let answer = '';
    for (let poll = 0; poll < 5; poll++) {
      answer = await submitForm(page, '/index_get.html', { key, token });
      if (!answer.startsWith('WAIT|')) break;
      assert.equal(answer, `WAIT|${token}`);
      await answered(token);
    }
    assert.equal(answer, `OK|${FOUND_PEC}|pec trovata`);
    assert.match(page.url(), /\/index_ws\.php\?/, 'the poll is a GET');
  });

  test('index_saldo.html shows the balance', async (t) => {
    const { key } = await harness().account();
    const page = await newPage(t);
    assert.equal(await submitForm(page, '/index_saldo.html', { key }), '10.00');
    assert.match(await submitForm(page, '/index_post.html', { key, cf: FOUND_CODE }), /^OK\|/);
    assert.equal(await submitForm(page, '/index_saldo.html', { key }), '9.90');
    assert.equal(await submitForm(page, '/index_saldo.html', { key: 'chiave-sbagliata' }), 'Error|Chiave non valida o disabilitata');
  });

  test('index_delete.html deletes a request, and the code can be requested again', async (t) => {
    const { key } = await harness().account();
    const page = await newPage(t);
    assert.equal(await submitForm(page, '/index_delete.html', { key, 'cf-delete': FOUND_CODE }), 'Error|Nessuna richiesta presente per questo codice');
    assert.match(await submitForm(page, '/index_post.html', { key, cf: FOUND_CODE }), /^OK\|/);
    assert.equal(await submitForm(page, '/index_delete.html', { key, 'cf-delete': FOUND_CODE }), 'OK|richiesta cancellata correttamente');
    assert.match(await submitForm(page, '/index_post.html', { key, cf: FOUND_CODE }), /^OK\|/);
    assert.match(await submitForm(page, '/index_delete.html', { key, 'cf-delete': '8200305010X' }), /^Error\|Codice fiscale non valido: /);
  });

  test('the home page links to the four forms', async (t) => {
    const page = await newPage(t);
    const forms = [
      { href: '/index_post.html', nav: 'Invio', title: 'Invio richiesta PEC' },
      { href: '/index_get.html', nav: 'Esito', title: 'Esito della ricerca' },
      { href: '/index_delete.html', nav: 'Cancellazione', title: 'Cancellazione richiesta' },
      { href: '/index_saldo.html', nav: 'Saldo', title: 'Saldo account' },
    ];
    for (const form of forms) {
      // Through the navigation bar...
      await page.goto(`${base}/`);
      await Promise.all([page.waitForURL(`${base}${form.href}`), page.getByRole('navigation').getByRole('link', { name: form.nav, exact: true }).click()]);
      assert.equal(await page.locator('h1').innerText(), form.title);
      assert.equal(await page.locator(`main form[action="/index_ws.php"]`).count(), 1, form.href);
      // ...and through the list of test forms in the page.
      await page.goto(`${base}/`);
      await Promise.all([
        page.waitForURL(`${base}${form.href}`),
        page.getByRole('main').getByRole('listitem').getByRole('link', { name: form.title, exact: true }).click(),
      ]);
      assert.equal(await page.locator('h1').innerText(), form.title);
    }
  });

  test('at 360px the pages do not overflow horizontally (screenshot in .tmp/)', async (t) => {
    const page = await newPage(t, { width: 360, height: 740 });
    const screenshots = screenshotDir();
    for (const path of [
      '/',
      '/index_post.html',
      '/index_get.html',
      '/index_delete.html',
      '/index_saldo.html',
      '/en',
      '/en/index_post.html',
      '/en/index_get.html',
    ]) {
      await page.goto(`${base}${path}`);
      if (path === '/') await page.screenshot({ path: `${screenshots}home-360.png`, fullPage: true });
      // A string expression: the test's TypeScript has no DOM types.
      const { scrollWidth, clientWidth } = (await page.evaluate(
        '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })',
      )) as { scrollWidth: number; clientWidth: number };
      assert.ok(scrollWidth <= 360, `${path}: scrollWidth ${scrollWidth} > 360 (client ${clientWidth})`);
    }
    assert.ok(existsSync(`${screenshots}home-360.png`));
  });
});
