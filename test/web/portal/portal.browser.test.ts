/**
 * The customer portal in headless Chromium against a real listening server: log in with the
 * keyboard, upload a CSV with the file picker (and check that a file dropped on the drop zone
 * lands in the input), pick another code column, confirm, watch the progress script poll until
 * the batch completes, download the results as CSV and XLSX and check them; axe-core finds no
 * violation on any portal page; no page is wider than a 390 px phone; no console error (a CSP
 * violation would be one). Skipped (with the reason) when Chromium is missing, unless CI is set.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { createHarness, type Harness } from '../../helpers/services.ts';
import { assertAccessible, launchChromium, openPage, screenshotDir, skipWithoutChromium } from '../../helpers/browser.ts';
import { cf11 } from '../../admin/admin-fixture.ts';
import { customer, PASSWORD } from './portal-fixture.ts';
import { loadMirror } from '../../search/fixture.ts';

describe('customer portal in headless Chromium', { skip: skipWithoutChromium }, () => {
  let h: Harness | undefined;
  let browser: Browser | undefined;
  let base = '';

  before(async () => {
    h = await createHarness('sqlite', { adminLoginsPerMinute: 0 });
    const { id } = await h.account({ name: 'Studio Rossi', initialCreditCents: 10_000, priceCents: 10 });
    await customer(h.store, h.clock.now(), 'rossi', id);
    // Public bodies, so the name search page has a table of results to look at.
    await loadMirror(h.store);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  function newPage(t: { after(fn: () => Promise<void>): void }, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; errors: string[] }> {
    return openPage(browser, t, { viewport, locale: 'it-IT', acceptDownloads: true });
  }

  async function login(page: Page): Promise<void> {
    await page.goto(`${base}/portal`);
    await page.waitForFunction('document.activeElement === document.querySelector("form#login [name=username]")', undefined, { timeout: 5000 });
    await page.keyboard.type('rossi');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL(`${base}/portal`), page.keyboard.press('Enter')]);
  }

  test('login, upload a CSV, pick the column, confirm, progress, download CSV and XLSX; axe on every step', async (t) => {
    const { page, errors } = await newPage(t);
    await page.goto(`${base}/portal/login`);
    await assertAccessible(page, 'login');
    await login(page);
    await assertAccessible(page, 'home');

    await page.goto(`${base}/portal/upload`);
    await assertAccessible(page, 'upload');
    // A file dropped on the zone goes into the input (portal.js).
    const dropped = await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['cf\\n'], 'trascinato.csv', { type: 'text/csv' }));
      document.querySelector('[data-drop-zone]').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      return document.querySelector('form#batch-upload input[name=file]').files[0]?.name;
    })()`);
    assert.equal(dropped, 'trascinato.csv');

    const csv = `riferimento;piva_vecchia;piva\n${[1, 2, 3].map((n) => `pratica ${n};${cf11(n)};${cf11(200 + n)}`).join('\n')}\n`;
    await page.setInputFiles('form#batch-upload input[name=file]', { name: 'elenco.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await Promise.all([page.waitForURL(/\/portal\/uploads\/[^/?]+$/), page.click('form#batch-upload button[type=submit]')]);
    assert.equal(await page.inputValue('select#column'), 'piva_vecchia', 'the detected column');
    await assertAccessible(page, 'preview');
    await page.selectOption('select#column', 'piva');
    await Promise.all([page.waitForURL(/column=piva$/), page.click('form[method=get] button[type=submit]')]);
    assert.equal(await page.textContent('#preview-rows'), '3');
    assert.equal(await page.textContent('#preview-price'), '0,30 €');

    await Promise.all([page.waitForURL(/\/portal\/batches\/bat_/), page.click('#batch-confirm')]);
    assert.equal(await page.locator('a[data-format=csv]').count(), 0, 'no downloads while running');
    assert.match((await page.textContent('#batch-message')) ?? '', /in corso/);
    await assertAccessible(page, 'batch in progress');
    // The lookups are answered only now: the page's script sees the batch complete and shows the downloads.
    h!.worker.start();
    await page.waitForSelector('a[data-format=csv]', { timeout: 30_000 });
    await assertAccessible(page, 'batch completed');

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('a[data-format=csv]')]);
    const csvText = (await readFile((await csvDownload.path())!, 'utf8')).replace(/^\ufeff/, '');
    const lines = csvText.trim().split(/\r\n/);
    assert.equal(lines[0], 'riferimento;piva_vecchia;piva;code;status;pec;addresses;source;error');
    assert.equal(lines.length, 4);
    assert.ok(lines[3].startsWith(`pratica 3;${cf11(3)};${cf11(203)};${cf11(203)};`), lines[3]);

    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.click('a[data-format=xlsx]')]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile((await xlsxDownload.path())!);
    const sheet = book.worksheets[0];
    assert.deepEqual((sheet.getRow(1).values as unknown[]).slice(1, 5), ['riferimento', 'piva_vecchia', 'piva', 'code']);
    assert.equal(sheet.getRow(2).getCell(1).value, 'pratica 1');
    assert.equal(sheet.getRow(2).getCell(4).value, cf11(201));
    assert.equal(sheet.rowCount, 4);
    assert.deepEqual(errors, [], 'no console errors (CSP violations among them)');
  });

  test('every other portal page: axe finds nothing, and nothing overflows a 390 px phone', async (t) => {
    const { page, errors } = await newPage(t, { width: 390, height: 844 });
    const screenshots = screenshotDir();
    await login(page);
    // A key, so the keys page has a table and a revoke confirmation to look at.
    await page.goto(`${base}/portal/keys`);
    await Promise.all([page.waitForURL(`${base}/portal/keys`), page.click('#key-create')]);
    assert.match((await page.textContent('#new-key')) ?? '', /^cp_/);
    await assertAccessible(page, 'keys with a new key');
    const revokeHref = await page.getAttribute('a[href$="/revoke"]', 'href');
    // A preview with a wide row, and a batch page (the first test's batch, when it ran).
    await page.goto(`${base}/portal/upload`);
    const wide = `riferimento;descrizione lunga della pratica;piva\n${[1, 2].map((n) => `pratica ${n};${'una descrizione molto lunga '.repeat(4)};${cf11(300 + n)}`).join('\n')}\n`;
    await page.setInputFiles('form#batch-upload input[name=file]', { name: 'largo.csv', mimeType: 'text/csv', buffer: Buffer.from(wide) });
    await Promise.all([page.waitForURL(/\/portal\/uploads\/[^/?]+$/), page.click('form#batch-upload button[type=submit]')]);
    const previewPath = new URL(page.url()).pathname;
    await page.goto(`${base}/portal/batches`);
    const batchHref = await page.getAttribute('a[href^="/portal/batches/bat_"]', 'href');
    const paths = [
      '/portal',
      '/portal/upload',
      previewPath,
      ...(batchHref ? [batchHref] : []),
      '/portal/batches',
      '/portal/ledger',
      '/portal/lookups',
      '/portal/lookups?code=0000',
      '/portal/search',
      '/portal/search?q=comune',
      '/portal/keys',
      revokeHref!,
      '/portal/webhook',
      '/portal?lang=en',
      '/portal/login',
    ];
    for (const path of paths) {
      if (path === '/portal/login') await page.click('form[action="/portal/logout"] button');
      await page.goto(`${base}${path}`);
      await assertAccessible(page, path);
      const name = path.replace(/[^a-z0-9]+/gi, '-');
      await page.screenshot({ path: `${screenshots}portal${name}-390.png`, fullPage: true });
      const { scrollWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth })')) as { scrollWidth: number };
      assert.ok(scrollWidth <= 390, `${path}: scrollWidth ${scrollWidth} > 390`);
    }
    assert.deepEqual(errors, [], 'no console errors');
  });
});
