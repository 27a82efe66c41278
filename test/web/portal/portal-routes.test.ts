/**
 * The customer portal over app.inject, on both dialects: customer users and their realm (a
 * customer never opens /admin, staff never /portal), CSRF and idle expiry, isolation between
 * accounts (another account's batches, uploads and keys are unknown here), and the upload →
 * preview → pick column → confirm → results path with the customer's own columns kept.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { eachDialect } from '../../helpers/stores.ts';
import { createHarness, type Harness } from '../../helpers/services.ts';
import { createUser } from '../../../src/users/users.ts';
import { TEST_SCRYPT } from '../../helpers/password-cost.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { authenticateKey } from '../../../src/accounts/api-keys.ts';
import { PENDING_STATUSES } from '../../../src/lookups/lookup-status.ts';
import { cf11 } from '../../admin/admin-fixture.ts';
import { customer, PASSWORD, PortalClient } from './portal-fixture.ts';
import { updateAccountStatusForTest } from '../../helpers/accounts.ts';

await eachDialect(describe, 'customer portal', (dialect) => {
  let h: Harness;
  afterEach(() => h?.close());

  async function setup(overrides: Parameters<typeof createHarness>[1] = {}) {
    h = await createHarness(dialect, { adminLoginsPerMinute: 0, ...overrides });
    const a = await h.account({ name: 'Studio Rossi', initialCreditCents: 10_000, priceCents: 10 });
    const b = await h.account({ name: 'Altra Srl', initialCreditCents: 10_000, priceCents: 10 });
    await customer(h.store, h.clock.now(), 'rossi', a.id);
    await customer(h.store, h.clock.now(), 'bianchi', b.id);
    return { a, b };
  }

  /** Uploads a CSV through the portal and confirms it on `column`; returns the batch id. */
  async function uploadAndConfirm(client: PortalClient, csv: string, column?: string): Promise<string> {
    await client.get('/portal/upload');
    const up = await client.upload('elenco.csv', csv);
    assert.equal(up.statusCode, 303, up.body.slice(0, 300));
    const previewUrl = String(up.headers.location);
    const preview = await client.get(column ? `${previewUrl}?column=${encodeURIComponent(column)}` : previewUrl);
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 300));
    const confirm = await client.post(`${previewUrl}/confirm`, { column: column ?? /name="column" value="([^"]*)"/.exec(preview.body)![1] });
    assert.equal(confirm.statusCode, 303);
    const location = String(confirm.headers.location);
    assert.match(location, /^\/portal\/batches\/bat_/);
    return location.split('/').pop()!;
  }

  test('a customer logs in at /portal only; staff only at /admin; a session does not cross realms', async () => {
    await setup();
    await createUser(h.store, h.clock.now(), { username: 'anna', password: PASSWORD, role: 'admin' }, undefined, TEST_SCRYPT);
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    const home = await rossi.get('/portal');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /Studio Rossi/);
    assert.match(home.body, /100,00 €/);
    assert.match(home.body, /<html lang="it">/);
    assert.match((await rossi.get('/portal?lang=en')).body, /<html lang="en">[\s\S]*Your account/);

    // The customer's session id in the back office's cookie opens nothing there.
    const asAdmin = await h.app.inject({ method: 'GET', url: '/admin', headers: { cookie: `cercapec_admin=${rossi.cookies.get('cercapec_portal')}` } });
    assert.equal(asAdmin.statusCode, 303);
    assert.match(String(asAdmin.headers.location), /^\/admin\/login/);
    // ... and still works in the portal (not ended by the attempt).
    assert.equal((await rossi.get('/portal')).statusCode, 200);

    // Staff cannot log in to the portal, customers cannot log in to the back office.
    const staff = new PortalClient(h.app, 'http://localhost', '10.0.0.2');
    await staff.get('/portal/login');
    assert.equal((await staff.post('/portal/login', { username: 'anna', password: PASSWORD })).statusCode, 401);
    const adminLogin = await h.app.inject({ method: 'GET', url: '/admin/login' });
    const token = /name="_csrf" value="([^"]*)"/.exec(adminLogin.body)![1];
    const loginCookie = adminLogin.cookies.find((c) => c.name === 'cercapec_admin_login')!;
    const refused = await h.app.inject({
      method: 'POST',
      url: '/admin/login',
      remoteAddress: '10.0.0.3',
      payload: new URLSearchParams({ username: 'rossi', password: PASSWORD, _csrf: token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `cercapec_admin_login=${loginCookie.value}`, origin: 'http://localhost' },
    });
    assert.equal(refused.statusCode, 401);
  });

  test('CSRF, origin, idle expiry and logout', async () => {
    await setup();
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    assert.equal((await rossi.post('/portal/keys', {}, { csrf: 'forged' })).statusCode, 403);
    assert.equal((await rossi.post('/portal/keys', {}, { origin: 'http://evil.example' })).statusCode, 403);
    assert.equal((await rossi.upload('x.csv', 'cf\n', { csrf: 'forged' })).statusCode, 403);
    assert.equal(
      await h.store.db
        .selectFrom('api_keys')
        .select('id')
        .where(
          'account_id',
          '=',
          (await h.store.db.selectFrom('users').select('account_id').where('username', '=', 'rossi').executeTakeFirstOrThrow()).account_id!,
        )
        .execute()
        .then((r) => r.length),
      1,
      'only the account key',
    );
    // A disabled account opens no page (logout still works).
    const accountId = (await h.store.db.selectFrom('users').select('account_id').where('username', '=', 'rossi').executeTakeFirstOrThrow()).account_id!;
    await updateAccountStatusForTest(h.store, accountId, 'disabled');
    const disabled = await rossi.get('/portal/upload');
    assert.equal(disabled.statusCode, 403);
    assert.match(disabled.body, /account è disattivato/);
    assert.equal((await rossi.post('/portal/keys', {})).statusCode, 403);
    await updateAccountStatusForTest(h.store, accountId, 'active');
    h.clock.advance(31 * 60_000);
    const expired = await rossi.get('/portal/ledger');
    assert.equal(expired.statusCode, 303);
    assert.equal(expired.headers.location, '/portal/login?expired=1&next=%2Fportal%2Fledger');
    await rossi.login('rossi');
    const out = await rossi.post('/portal/logout', {});
    assert.equal(out.headers.location, '/portal/login?out=1');
    assert.equal((await rossi.get('/portal')).statusCode, 303);
  });

  test('upload, preview, pick another column, confirm, progress, results in CSV and XLSX with the columns kept', async () => {
    await setup();
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    const rows = [1, 2, 3].map((n) => `pratica ${n};${cf11(n)};${cf11(100 + n)}`);
    const csv = `riferimento;piva_vecchia;piva\n${rows.join('\n')}\n`;
    await rossi.get('/portal/upload');
    const up = await rossi.upload('elenco.csv', csv);
    assert.equal(up.statusCode, 303);
    const previewUrl = String(up.headers.location);
    const detected = await rossi.get(previewUrl);
    assert.match(detected.body, /<option value="piva_vecchia" selected>/, 'the first column of codes is detected');
    assert.match(detected.body, /pratica 2/);
    const picked = await rossi.get(`${previewUrl}?column=piva`);
    assert.match(picked.body, /<option value="piva" selected>/);
    assert.match(picked.body, /<dd id="preview-rows">3<\/dd>/);
    assert.match(picked.body, /<dd id="preview-price">0,30 €<\/dd>/);
    const confirm = await rossi.post(`${previewUrl}/confirm`, { column: 'piva' });
    assert.equal(confirm.statusCode, 303);
    const batchUrl = String(confirm.headers.location);
    const batchId = batchUrl.split('/').pop()!;
    // A second click on the confirmation makes no second batch.
    assert.equal((await rossi.post(`${previewUrl}/confirm`, { column: 'piva' })).headers.location, batchUrl);
    const running = await rossi.get(batchUrl);
    assert.match(running.body, /<script src="\/portal\/assets\/portal.js" defer>/);
    assert.match(running.body, /<noscript><meta http-equiv="refresh" content="5"><\/noscript>/);
    h.worker.start();
    await waitFor(
      () => h.store.db.selectFrom('requests').select('status').where('status', 'in', PENDING_STATUSES).execute(),
      (p) => p.length === 0,
      'every lookup answered',
    );
    // The batch completes right after the commit that settles its last lookup (reads never write).
    const status = await waitFor(
      async () => JSON.parse((await rossi.get(`${batchUrl}/status.json`)).body),
      (s) => s.completed === true,
      'the batch completed',
    );
    assert.equal(status.progress, 100);
    const done = await rossi.get(batchUrl);
    assert.match(done.body, /<a href="\/portal\/batches\/[^"]+\/results.csv" data-format="csv"/);
    const resultsCsv = await rossi.get(`/portal/batches/${batchId}/results.csv`);
    assert.equal(resultsCsv.statusCode, 200);
    const lines = resultsCsv.body
      .replace(/^\ufeff/, '')
      .trim()
      .split(/\r\n/);
    assert.equal(lines[0], 'riferimento;piva_vecchia;piva;code;status;pec;addresses;source;error');
    assert.equal(lines.length, 4);
    assert.ok(lines[1].startsWith(`pratica 1;${cf11(1)};${cf11(101)};${cf11(101)};`), lines[1]);
    const xlsx = await rossi.get(`/portal/batches/${batchId}/results.xlsx`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as never);
    const sheet = book.worksheets[0];
    assert.deepEqual((sheet.getRow(1).values as unknown[]).slice(1, 4), ['riferimento', 'piva_vecchia', 'piva']);
    assert.equal(sheet.getRow(4).getCell(3).value, cf11(103));
    // Three new lookups were charged to this account.
    const ledger = await rossi.get('/portal/ledger');
    assert.match(ledger.body, /99,70 €/);
    const statement = await rossi.get(`/portal/statement.csv?month=${new Date(h.clock.now()).toISOString().slice(0, 7)}`);
    assert.match(statement.body, /^\ufeffdata;tipo;richiesta;codice/);
    assert.equal(statement.body.trim().split('\r\n').length, 4);
    const search = await rossi.get(`/portal/lookups?code=${cf11(102)}`);
    assert.ok(search.body.includes(cf11(102)) && !search.body.includes(cf11(101)));
  });

  test('an XLSX upload previews, confirms and comes back as XLSX with its columns', async () => {
    await setup();
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Foglio1');
    sheet.addRow(['ditta', 'codice']);
    for (let n = 1; n <= 4; n++) sheet.addRow([`ditta ${n}`, cf11(400 + n)]);
    const bytes = Buffer.from(await book.xlsx.writeBuffer());
    await rossi.get('/portal/upload');
    const up = await rossi.upload('ditte.xlsx', bytes);
    const previewUrl = String(up.headers.location);
    const preview = await rossi.get(previewUrl);
    assert.match(preview.body, /<option value="codice" selected>/);
    assert.match(preview.body, /<dd id="preview-rows">4<\/dd>/);
    const confirm = await rossi.post(`${previewUrl}/confirm`, { column: 'codice' });
    const batchId = String(confirm.headers.location).split('/').pop()!;
    h.worker.start();
    await waitFor(
      () => h.store.db.selectFrom('requests').select('status').where('status', 'in', PENDING_STATUSES).execute(),
      (p) => p.length === 0,
      'every lookup answered',
    );
    await waitFor(
      async () => JSON.parse((await rossi.get(`/portal/batches/${batchId}/status.json`)).body),
      (s) => s.completed === true,
      'the batch completed',
    );
    const xlsx = await rossi.get(`/portal/batches/${batchId}/results.xlsx`);
    const back = new ExcelJS.Workbook();
    await back.xlsx.load(xlsx.rawPayload as never);
    assert.deepEqual((back.worksheets[0].getRow(1).values as unknown[]).slice(1, 4), ['ditta', 'codice', 'code']);
    assert.equal(back.worksheets[0].getRow(5).getCell(1).value, 'ditta 4');
  });

  test('refused uploads come back to the form with the reason: too large, not CSV or XLSX, no file; no credit back to the preview', async () => {
    await setup({ batchMaxBytes: 2048 });
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    await rossi.get('/portal/upload');
    assert.equal((await rossi.upload('grande.csv', `cf\n${`${cf11(1)}\n`.repeat(400)}`)).headers.location, '/portal/upload?error=too_large');
    assert.equal((await rossi.upload('foto.png', 'not a sheet')).headers.location, '/portal/upload?error=format');
    assert.equal((await rossi.upload('', '')).headers.location, '/portal/upload?error=missing');
    assert.match((await rossi.get('/portal/upload?error=too_large')).body, /role="alert">Il file supera il limite/);
    // A damaged workbook: the reason in Italian, never the batch code's English text or a text from the link.
    const broken = await rossi.upload('rotto.xlsx', 'PK not a zip at all');
    const brokenPreview = await rossi.get(String(broken.headers.location));
    assert.equal(brokenPreview.headers.location, '/portal/upload?error=invalid&reason=unreadable_xlsx');
    assert.match((await rossi.get(String(brokenPreview.headers.location))).body, /role="alert">Il file Excel è danneggiato/);
    assert.match((await rossi.get('/portal/upload?error=invalid&reason=constructor')).body, /role="alert">Il file non si può usare/);

    const poor = await h.account({ name: 'Senza Credito', initialCreditCents: 0, priceCents: 10 });
    await customer(h.store, h.clock.now(), 'povero', poor.id);
    const povero = new PortalClient(h.app, 'http://localhost', '10.0.0.5');
    await povero.login('povero');
    await povero.get('/portal/upload');
    const up = await povero.upload('elenco.csv', `cf\n${cf11(1)}\n${cf11(2)}\n`);
    const previewUrl = String(up.headers.location);
    await povero.get(previewUrl);
    const refused = await povero.post(`${previewUrl}/confirm`, { column: 'cf' });
    assert.match(String(refused.headers.location), new RegExp(`^${previewUrl}\\?column=cf&error=credit`));
    assert.match((await povero.get(String(refused.headers.location))).body, /role="alert">Il credito non basta/);
    assert.equal((await h.store.db.selectFrom('batches').select('id').where('account_id', '=', poor.id).execute()).length, 0);
  });

  test("a customer never sees another account's batches, uploads, lookups or keys, and their ids are refused", async () => {
    const { b } = await setup();
    const bianchi = new PortalClient(h.app, 'http://localhost', '10.0.0.9');
    await bianchi.login('bianchi');
    const theirBatch = await uploadAndConfirm(bianchi, `cf\n${cf11(7)}\n`);
    await bianchi.get('/portal/upload');
    const theirUpload = String((await bianchi.upload('b.csv', `cf\n${cf11(8)}\n`)).headers.location);
    await bianchi.get('/portal/keys');
    await bianchi.post('/portal/keys', { label: 'loro' });
    const theirKey = await h.store.db
      .selectFrom('api_keys')
      .select(['id', 'key_prefix'])
      .where('account_id', '=', b.id)
      .where('label', '=', 'loro')
      .executeTakeFirstOrThrow();

    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    // Searching for their code finds nothing (the search box echoes the code, the table is absent).
    assert.ok(!(await rossi.get(`/portal/lookups?code=${cf11(7)}`)).body.includes('<table id="lookups"'));
    for (const url of ['/portal', '/portal/batches', '/portal/lookups', '/portal/ledger', '/portal/keys', '/portal/webhook']) {
      const page = await rossi.get(url);
      assert.equal(page.statusCode, 200, url);
      for (const secret of [theirBatch, cf11(7), theirKey.id, 'Altra Srl', b.id]) assert.ok(!page.body.includes(secret), `${url} shows ${secret}`);
    }
    assert.equal((await rossi.get(`/portal/batches/${theirBatch}`)).statusCode, 404);
    assert.equal((await rossi.get(`/portal/batches/${theirBatch}/status.json`)).statusCode, 404);
    assert.equal((await rossi.get(`/portal/batches/${theirBatch}/results.csv`)).statusCode, 404);
    assert.equal((await rossi.get(`/portal/batches/${theirBatch}/results.xlsx`)).statusCode, 404);
    assert.equal((await rossi.get(theirUpload)).headers.location, '/portal/upload?error=gone');
    assert.equal((await rossi.post(`${theirUpload}/confirm`, { column: 'cf' })).headers.location, '/portal/upload?error=gone');
    assert.equal((await rossi.get(`/portal/keys/${theirKey.id}/revoke`)).statusCode, 404);
    assert.equal((await rossi.post(`/portal/keys/${theirKey.id}/revoke`, {})).statusCode, 404);
    assert.equal((await h.store.db.selectFrom('api_keys').select('revoked_at').where('id', '=', theirKey.id).executeTakeFirstOrThrow()).revoked_at, null);
    const statement = await rossi.get(`/portal/statement.csv?month=${new Date(h.clock.now()).toISOString().slice(0, 7)}`);
    assert.ok(!statement.body.includes(cf11(7)));
  });

  test('API keys: created and shown once after the redirect, revoked after a confirmation; the webhook URL and secret', async () => {
    await setup();
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    await rossi.get('/portal/keys');
    const created = await rossi.post('/portal/keys', { label: 'gestionale' });
    assert.equal(created.statusCode, 303);
    assert.equal(created.headers.location, '/portal/keys');
    const shown = await rossi.get('/portal/keys');
    const key = /<code class="secret" id="new-key">([^<]+)<\/code>/.exec(shown.body)?.[1];
    assert.ok(key, 'the new key is on the page the POST redirected to');
    assert.ok(await authenticateKey(h.store, key), 'the key works');
    assert.ok(!(await rossi.get('/portal/keys')).body.includes(key), 'shown once');
    const row = await h.store.db.selectFrom('api_keys').select('id').where('label', '=', 'gestionale').executeTakeFirstOrThrow();
    const confirmPage = await rossi.get(`/portal/keys/${row.id}/revoke`);
    assert.match(confirmPage.body, /id="key-revoke-confirm"/);
    assert.equal((await rossi.post(`/portal/keys/${row.id}/revoke`, {})).headers.location, '/portal/keys?revoked=1');
    assert.equal(await authenticateKey(h.store, key), null);

    await rossi.get('/portal/webhook');
    assert.equal((await rossi.post('/portal/webhook', { url: 'http://127.0.0.1/hook' })).headers.location, '/portal/webhook?error=url');
    assert.match((await rossi.get('/portal/webhook?error=url')).body, /role="alert">Indirizzo non valido/);
    assert.equal((await rossi.post('/portal/webhook', { url: 'https://hooks.example.com/cercapec' })).headers.location, '/portal/webhook?done=saved');
    assert.match((await rossi.get('/portal/webhook')).body, /value="https:\/\/hooks.example.com\/cercapec"/);
    assert.equal((await rossi.post('/portal/webhook/rotate', {})).statusCode, 303);
    const rotated = await rossi.get('/portal/webhook?done=rotated');
    const secret = /id="webhook-secret">([^<]+)</.exec(rotated.body)?.[1];
    assert.ok(secret);
    assert.ok(!(await rossi.get('/portal/webhook')).body.includes(secret), 'the secret is shown once');
  });
});
