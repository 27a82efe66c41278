/**
 * Search by name in the customer portal over real HTTP (a listening server, fetch), on both
 * dialects: public bodies and the account's own datasets are found, another account's dataset
 * never is (nor through the API with that account's key); the price is on the page and every
 * search (every page) is a ledger row when the account has one; bad input and a missing credit
 * are refused before anything is charged; the page has no inline script.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { eachDialect } from '../../helpers/stores.ts';
import { createHarness, type Harness } from '../../helpers/services.ts';
import { updateAccount } from '../../../src/accounts/update-account.ts';
import { importDataset } from '../../../src/directory/import-dataset.ts';
import { loadMirror, testCode, writeFile } from '../../search/fixture.ts';
import { customer, HttpPortalClient } from './portal-fixture.ts';

await eachDialect(describe, 'portal: search by name', (dialect) => {
  let h: Harness;
  afterEach(() => h?.close());

  async function setup() {
    h = await createHarness(dialect, { adminLoginsPerMinute: 0 });
    const a = await h.account({ name: 'Studio Rossi', initialCreditCents: 10, priceCents: 10 });
    const b = await h.account({ name: 'Altra Srl', initialCreditCents: 1000, priceCents: 10 });
    await customer(h.store, h.clock.now(), 'rossi', a.id);
    await customer(h.store, h.clock.now(), 'bianchi', b.id);
    await loadMirror(h.store);
    const csv = (name: string, n: number, label: string) =>
      writeFile(`${name}-${dialect}.csv`, `codice_fiscale,pec,ragione_sociale\n${testCode(n)},${name}@pec.example.it,${label}\n`);
    await importDataset(h.store, h.clock, {
      file: csv('legnami', 600, 'Rezzoaglio Legnami S.r.l.'),
      format: 'csv',
      name: 'fornitori rossi',
      nameColumn: 'ragione_sociale',
      accountId: a.id,
    });
    await importDataset(h.store, h.clock, {
      file: csv('marmi', 601, 'Rezzoaglio Marmi S.p.A.'),
      format: 'csv',
      name: 'clienti altra',
      nameColumn: 'ragione_sociale',
      accountId: b.id,
    });
    await importDataset(h.store, h.clock, {
      file: csv('comune', 602, 'Rezzoaglio Trasporti S.n.c.'),
      format: 'csv',
      name: 'elenco comune',
      nameColumn: 'ragione_sociale',
    });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    return { a, b, base };
  }

  const ledgerRows = (accountId: string) =>
    h.store.db.selectFrom('ledger').select(['kind', 'amount_cents']).where('account_id', '=', accountId).where('kind', '=', 'search').execute();
  const resultNames = (body: string) => [...body.matchAll(/<tr>\s*<td>([^<]*)<\/td>/g)].map((m) => m[1]);

  test("finds public bodies and the account's own datasets, never another account's; free without a search price", async () => {
    const { a, b, base } = await setup();
    const rossi = new HttpPortalClient(base);
    await rossi.login('rossi');
    const form = await rossi.get('/portal/search');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<a href="\/portal\/search" aria-current="page">Cerca per nome<\/a>/, 'in the navigation');
    assert.match(form.body, /<form method="get" action="\/portal\/search"[^>]*role="search"/);
    assert.match(form.body, /gratuite per il tuo account/);
    assert.doesNotMatch(form.body, /<script(?![^>]*\bsrc=)/, 'no inline script');

    const page = await rossi.get('/portal/search?q=rezzoaglio');
    assert.equal(page.statusCode, 200);
    assert.deepEqual(resultNames(page.body), ['Comune di Rezzoaglio', 'Rezzoaglio Legnami S.r.l.', 'Rezzoaglio Trasporti S.n.c.']);
    assert.match(page.body, /protocollo@pec\.comune\.rezzoaglio\.ge\.it/);
    assert.match(page.body, /Ente pubblico \(IPA\)/);
    assert.doesNotMatch(page.body, /Marmi|marmi@pec/, "another account's dataset");
    assert.deepEqual(resultNames((await rossi.get('/portal/search?q=marmi')).body), []);
    assert.match((await rossi.get('/portal/search?q=marmi')).body, /Nessun nome trovato/);
    assert.deepEqual(await ledgerRows(a.id), [], 'free: no ledger row');

    // The other account sees its own dataset, not Rossi's; so does its API key.
    const bianchi = new HttpPortalClient(base);
    await bianchi.login('bianchi');
    assert.deepEqual(resultNames((await bianchi.get('/portal/search?q=rezzoaglio&lang=en')).body), [
      'Comune di Rezzoaglio',
      'Rezzoaglio Marmi S.p.A.',
      'Rezzoaglio Trasporti S.n.c.',
    ]);
    const api = await fetch(`${base}/v1/search?q=legnami`, { headers: { authorization: `Bearer ${b.key}` } });
    assert.equal(api.status, 200);
    assert.deepEqual(((await api.json()) as { items: unknown[] }).items, []);
    const own = (await (await fetch(`${base}/v1/search?q=legnami`, { headers: { authorization: `Bearer ${a.key}` } })).json()) as { items: { name: string }[] };
    assert.deepEqual(
      own.items.map((i) => i.name),
      ['Rezzoaglio Legnami S.r.l.'],
    );
  });

  test('priced per search: the page says the price, each page is a ledger row, no credit or bad input is refused uncharged', async () => {
    const { a, base } = await setup();
    await updateAccount(h.store, a.id, h.clock.now(), { searchPriceCents: 4 });
    const rossi = new HttpPortalClient(base);
    await rossi.login('rossi');
    assert.match((await rossi.get('/portal/search')).body, /<p id="search-price">Ogni ricerca costa 0,04 €/);
    assert.match((await rossi.get('/portal/search?lang=en')).body, /<p id="search-price">Each search costs 0.04 €/);

    const bad = await rossi.get('/portal/search?q=%3F%21&lang=it');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /role="alert">Scrivi almeno una lettera/);
    assert.equal((await rossi.get('/portal/search?q=rezzoaglio&province=Genova')).statusCode, 400);
    assert.deepEqual(await ledgerRows(a.id), [], 'bad input is not charged');

    const first = await rossi.get('/portal/search?q=comune');
    assert.equal(first.statusCode, 200);
    const next = /<a id="search-next" href="([^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(next, 'a link to the next page');
    assert.equal((await rossi.get(next)).statusCode, 200);
    assert.deepEqual(
      (await ledgerRows(a.id)).map((r) => Number(r.amount_cents)),
      [-4, -4],
      'one row per page',
    );
    // 10 cents of credit, 8 spent: the next search is refused, and not charged.
    const refused = await rossi.get('/portal/search?q=rezzoaglio');
    assert.equal(refused.statusCode, 402);
    assert.match(refused.body, /Il credito non basta/);
    assert.equal((await ledgerRows(a.id)).length, 2);
    assert.match((await rossi.get('/portal/ledger')).body, /ricerca per nome/);
  });
});
