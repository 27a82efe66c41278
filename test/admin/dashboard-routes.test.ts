/**
 * The dashboard over HTTP (the whole app, logged in through the login form), on both dialects:
 * the period form and its presets kept in the URL, Italian errors on the page with what was
 * typed, the per-account table with totals, "show all" and its CSV, and prepaid accounts under
 * the configured or asked threshold, each linking to its account.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { AdminClient, staff, cf11 } from './admin-fixture.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { cancelLookupById } from '../../src/lookups/cancel-lookup.ts';

const chartData = (body: string) => JSON.parse(/<script type="application\/json" id="dashboard-data">([^<]*)<\/script>/.exec(body)![1]);
const csvRows = (body: string): string[][] => parse(body.replace(/^\ufeff/, ''), { delimiter: ';' });

await eachDialect(describe, 'dashboard pages', (dialect) => {
  let h: Harness;
  let operator: AdminClient;

  beforeEach(async () => {
    h = await createHarness(dialect, { lowBalanceCents: 600 });
    await staff(h.store, h.clock.now());
    operator = await AdminClient.signedIn(h.app, 'otto');
  });
  afterEach(() => h.close());

  /** `count` lookups accepted now (charged at the account's price), the first `cancelled` of them cancelled (refunded). */
  async function lookups(accountId: string, count: number, cancelled = 0, first = 1): Promise<void> {
    const account = (await getAccount(h.store, accountId))!;
    for (let i = 0; i < count; i++) {
      const { id } = await submitLookup(h.services.lookups, { account, code: cf11(first + i), via: 'json' });
      if (i < cancelled) await cancelLookupById(h.services.lookups, account, id);
    }
  }

  test('a custom period: per day, the days in the URL and the form, every figure of those days', async () => {
    const a = await h.account({ name: 'Studio Alfa', priceCents: 25 });
    await lookups(a.id, 2); // 28 November, 10:00 in Rome
    const res = await operator.get('/admin?from=2026-11-22&to=2026-11-28');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<p id="period"><strong>Periodo:<\/strong> Dal 22\/11\/2026 al 28\/11\/2026<\/p>/);
    assert.match(res.body, /<label for="r-from">Dal<\/label><input type="date" id="r-from" name="from" value="2026-11-22">/);
    assert.match(res.body, /<label for="r-to">Al<\/label><input type="date" id="r-to" name="to" value="2026-11-28">/);
    assert.match(res.body, /<h2 id="h-hourly">Richieste per giorno, per esito<\/h2>/);
    const data = chartData(res.body);
    assert.equal(data.charts['chart-hourly'].unit, 'day');
    assert.equal(data.charts['chart-hourly'].x.length, 7);
    assert.deepEqual(data.charts['chart-hourly'].series.find((s: { label: string }) => s.label === 'in corso').values, [0, 0, 0, 0, 0, 0, 2]);
    assert.match(res.body, /Richieste nel periodo<\/p><p class="card-value">2</);
    assert.match(res.body, /href="\/admin\/dashboard\/accounts\.csv\?from=2026-11-22&amp;to=2026-11-28"/);
    // The days before: nothing.
    const before = await operator.get('/admin?from=2026-11-01&to=2026-11-27');
    assert.match(before.body, /Richieste nel periodo<\/p><p class="card-value">0</);
    assert.doesNotMatch(before.body, /Studio Alfa/);
  });

  test('presets follow today in Rome from the clock; the last 24 hours stay the default', async () => {
    h.clock.set(Date.UTC(2026, 10, 30, 23, 30)); // 00:30 on 1 December in Rome
    await operator.login('otto'); // the session idled out while the clock moved
    const today = await operator.get('/admin?range=today');
    assert.match(today.body, /Giorno 01\/12\/2026/);
    assert.match(today.body, /<strong aria-current="page">Oggi<\/strong>/);
    assert.equal(chartData(today.body).charts['chart-hourly'].unit, 'hour');
    assert.match((await operator.get('/admin?range=last-month')).body, /Dal 01\/11\/2026 al 30\/11\/2026/);
    assert.match((await operator.get('/admin?range=month')).body, /Giorno 01\/12\/2026/);
    assert.match((await operator.get('/admin?range=7d')).body, /Dal 25\/11\/2026 al 01\/12\/2026/);
    const standard = await operator.get('/admin');
    assert.match(standard.body, /<strong aria-current="page">Ultime 24 ore<\/strong>/);
    assert.match(standard.body, /<a href="\/admin\?range=last-month">Mese scorso<\/a>/);
    assert.equal(chartData(standard.body).charts['chart-hourly'].x.length, 24);
  });

  test('a wrong period is said in Italian on the page, with what was typed, above the last 24 hours', async () => {
    const reversed = await operator.get('/admin?from=2026-11-20&to=2026-11-10');
    assert.equal(reversed.statusCode, 400);
    assert.match(reversed.body, /<div class="problem" role="alert" id="dashboard-errors"><ul><li>La data di fine è precedente alla data di inizio\.<\/li>/);
    assert.match(reversed.body, /Periodo non valido: sotto sono mostrate le ultime 24 ore\./);
    assert.match(reversed.body, /name="from" value="2026-11-20" aria-invalid="true"/);
    assert.match(reversed.body, /name="to" value="2026-11-10" aria-invalid="true"/);
    assert.match(reversed.body, /<strong>Periodo:<\/strong> Ultime 24 ore/);
    assert.match((await operator.get('/admin?from=2026-02-31&to=2026-03-01')).body, /Dal: «2026-02-31» non è una data valida \(usa AAAA-MM-GG\)\./);
    assert.match((await operator.get('/admin?from=2024-01-01&to=2026-11-01')).body, /Il periodo può durare al massimo 366 giorni\./);
    const english = await operator.get('/admin?from=2026-11-20&to=2026-11-10&lang=en');
    assert.match(english.body, /The last day is before the first day\./);
    const csv = await operator.get('/admin/dashboard/accounts.csv?from=2026-11-20&to=2026-11-10');
    assert.equal(csv.statusCode, 400);
  });

  test('revenue and requests per account: sorted by revenue, totals, the first 20 then all, and the same table as CSV', async () => {
    const big = await h.account({ name: 'Grande Spa', priceCents: 50, billingMode: 'postpaid' });
    await lookups(big.id, 3, 1); // 2 charged: 1,00 €; one cancelled and refunded
    const smalls: string[] = [];
    for (let i = 0; i < 21; i++) {
      const s = await h.account({ name: `Piccolo ${String(i).padStart(2, '0')}`, priceCents: 10 });
      smalls.push(s.id);
      await lookups(s.id, 1, 0, 100 + i);
    }
    const page = await operator.get('/admin?range=today');
    const table = /<table id="account-activity">[\s\S]*?<\/table>/.exec(page.body)![0];
    const rows = table.match(/<tr><th scope="row">.*?<\/tr>/g)!;
    assert.equal(rows.length, 21, '20 accounts and the totals');
    assert.match(
      rows[0],
      new RegExp(
        `<a href="/admin/accounts/${big.id}">Grande Spa</a></th><td>postpagato</td><td class="num">3</td><td class="num">0</td><td class="num">0</td><td class="num">1</td><td class="num">1,00</td>`,
      ),
    );
    assert.match(rows[1], />Piccolo 00<\/a>.*<td class="num">0,10<\/td>/);
    assert.match(
      rows[20],
      /<th scope="row">Totale<\/th><td><\/td><td class="num">24<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">1<\/td><td class="num">3,10<\/td>/,
    );
    assert.match(page.body, /Sono mostrati i primi 20 account di 22\. <a href="\/admin\?range=today&amp;all=1#h-activity">Mostra tutti \(22\)<\/a>/);
    const all = await operator.get('/admin?range=today&all=1');
    assert.equal(/<table id="account-activity">[\s\S]*?<\/table>/.exec(all.body)![0].match(/<tr><th scope="row">/g)!.length, 23);

    const csv = await operator.get('/admin/dashboard/accounts.csv?range=today');
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /filename="account-2026-11-28-2026-11-28\.csv"/);
    const lines = csvRows(csv.body);
    assert.deepEqual(lines[0], [
      'account_id',
      'account',
      'fatturazione',
      'richieste',
      'trovate',
      'non_trovate',
      'cancellate',
      'ricavi_centesimi',
      'ricavi_euro',
    ]);
    assert.deepEqual(lines[1], [big.id, 'Grande Spa', 'postpaid', '3', '0', '0', '1', '100', '1,00']);
    assert.equal(lines.length, 1 + 22 + 1);
    assert.deepEqual(lines.at(-1), ['', 'totale', '', '24', '0', '0', '1', '310', '3,10']);
    const byDays = csvRows((await operator.get('/admin/dashboard/accounts.csv?from=2026-11-28&to=2026-11-28')).body);
    assert.deepEqual(byDays, lines);
    assert.equal(csvRows((await operator.get('/admin/dashboard/accounts.csv?from=2026-11-01&to=2026-11-27')).body).length, 2, 'header and totals');
  });

  test('prepaid accounts under the threshold (config, or asked in the page) link to their account', async () => {
    const low = await h.account({ name: 'Quasi a secco', initialCreditCents: 500, priceCents: 100 });
    await h.account({ name: 'Tranquilla', initialCreditCents: 5000 });
    await h.account({ name: 'Posticipata', billingMode: 'postpaid', initialCreditCents: 0 });
    await lookups(low.id, 1); // 1,00 € today: 4,00 € left, 1 day old: 4 days
    const res = await operator.get('/admin');
    assert.match(res.body, /Account prepagati attivi con saldo sotto 6,00 €/);
    const table = /<table id="low-balance">[\s\S]*?<\/table>/.exec(res.body)![0];
    assert.match(
      table,
      new RegExp(
        `<tr><th scope="row"><a href="/admin/accounts/${low.id}">Quasi a secco</a></th><td class="num">4,00</td><td class="num">1,00</td><td class="num">4</td></tr>`,
      ),
    );
    assert.doesNotMatch(table, /Tranquilla|Posticipata/);
    assert.match(res.body, /<label for="l-below">Soglia \(€\)<\/label><input type="text" inputmode="decimal" id="l-below" name="below" value="6,00">/);
    const asked = await operator.get('/admin?range=7d&below=60');
    assert.match(/<table id="low-balance">[\s\S]*?<\/table>/.exec(asked.body)![0], /Tranquilla/);
    assert.match(asked.body, /<input type="hidden" name="range" value="7d">/, 'the threshold form keeps the period');
    assert.match(asked.body, /<a href="\/admin\?range=month&amp;below=60">Questo mese<\/a>/, 'the period links keep the threshold');
    assert.match((await operator.get('/admin?below=3')).body, /Nessun account sotto la soglia\./);
    const wrong = await operator.get('/admin?below=molto');
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Soglia non valida: indica un importo in euro/);
    assert.match(wrong.body, /name="below" value="molto" aria-invalid="true"/);
  });
});
