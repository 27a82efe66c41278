/**
 * The dashboard's reads on both dialects, with the same answers: requests and revenue per account
 * in a period (its bounds, the ledger kinds that count), requests and answer times per Rome day
 * across the spring-forward night, and prepaid accounts under a balance threshold with the days
 * their balance lasts.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { accountActivity, activityTotals } from '../../src/dashboard/account-activity.ts';
import { DAY_MS, lowBalanceAccounts } from '../../src/dashboard/low-balance.ts';
import { requestsPerHour } from '../../src/dashboard/requests-per-hour.ts';
import { answerTimes } from '../../src/dashboard/answer-times.ts';
import { appendLedger } from '../../src/billing/ledger.ts';
import { readRange } from '../../src/web/admin/dashboard-range.ts';
import { MESSAGES } from '../../src/web/admin/i18n.ts';
import { romeDayEnd, romeDayStart } from '../../src/web/admin/format.ts';
import type { LedgerKind } from '../../src/billing/ledger-kind.ts';
import type { LookupStatus } from '../../src/lookups/lookup-status.ts';

await eachDialect(describe, 'dashboard data', (dialect) => {
  let h: Harness;
  let n = 0;
  beforeEach(async () => {
    h = await createHarness(dialect);
  });
  afterEach(() => h.close());

  async function request(accountId: string, status: LookupStatus, createdAt: number, answeredAt: number | null = null): Promise<void> {
    const id = `req_${String(++n).padStart(6, '0')}`;
    await h.store.db
      .insertInto('requests')
      .values({
        id,
        account_id: accountId,
        code: `0000000${n}`,
        kind: 'cf11',
        status,
        dedup_code: null,
        reference: null,
        callback_url: null,
        pec: null,
        source: null,
        error_code: null,
        error_message: null,
        charged_cents: 0,
        via: 'json',
        batch_id: null,
        created_at: createdAt,
        updated_at: createdAt,
        answered_at: answeredAt,
        deleted_at: null,
      })
      .execute();
  }

  async function ledger(accountId: string, kind: LedgerKind, amountCents: number, now: number): Promise<void> {
    await h.store.db.transaction().execute((trx) => appendLedger(trx, { accountId, kind, amountCents, now }));
  }

  test('requests and revenue per account: charges and searches less refunds of the period, top-ups aside, highest revenue first', async () => {
    const since = romeDayStart('2026-11-27')!;
    const until = romeDayEnd('2026-11-27')!;
    assert.equal(since, Date.UTC(2026, 10, 26, 23));
    const a = await h.account({ name: 'Studio Alfa', billingMode: 'prepaid' });
    const b = await h.account({ name: 'Beta Srl', billingMode: 'postpaid' });
    const c = await h.account({ name: 'Gamma', billingMode: 'prepaid' });
    const quiet = await h.account({ name: 'Nessuna attività' });
    for (const [status, at] of [
      ['found', since],
      ['found', since + 3_600_000],
      ['not_found', until - 1],
      ['cancelled', since + 60_000],
      ['queued', since + 120_000],
    ] as const) {
      await request(a.id, status, at);
    }
    await request(a.id, 'found', since - 1); // the evening before, in Rome
    await request(a.id, 'found', until); // the next day
    await request(b.id, 'found', since + 5_000);
    for (const at of [since, since + 1, since + 2, until - 1]) await ledger(a.id, 'charge', -10, at);
    await ledger(a.id, 'refund', 10, since + 60_001);
    await ledger(a.id, 'search', -5, since + 70_000);
    await ledger(a.id, 'topup', 1000, since + 80_000);
    await ledger(a.id, 'adjustment', -300, since + 80_001);
    await ledger(a.id, 'charge', -10, until);
    await ledger(a.id, 'charge', -10, since - 1);
    await ledger(b.id, 'charge', -100, since + 5_000);
    await ledger(c.id, 'refund', 10, since + 9_000);
    await ledger(quiet.id, 'charge', -10, until + DAY_MS);

    const rows = await accountActivity(h.store.db, since, until);
    assert.deepEqual(
      rows.map((r) => [r.name, r.billingMode, r.requests, r.found, r.notFound, r.cancelled, r.revenueCents]),
      [
        ['Beta Srl', 'postpaid', 1, 1, 0, 0, 100],
        ['Studio Alfa', 'prepaid', 5, 2, 1, 1, 35],
        ['Gamma', 'prepaid', 0, 0, 0, 0, -10],
      ],
    );
    assert.deepEqual(activityTotals(rows), { requests: 6, found: 3, notFound: 1, cancelled: 1, revenueCents: 125 });
    assert.deepEqual(await accountActivity(h.store.db, until + 2 * DAY_MS, until + 3 * DAY_MS), []);
  });

  test('per Rome day across the spring-forward night (29 March 2026, 23 hours): requests and answer times', async () => {
    const range = readRange({ hours: '', range: '', from: '2026-03-28', to: '2026-03-31' }, Date.UTC(2026, 5, 1), MESSAGES.it);
    assert.ok(range.ok);
    const { timeline } = range.range;
    const acc = await h.account();
    await request(acc.id, 'found', Date.UTC(2026, 2, 27, 22, 59), Date.UTC(2026, 2, 27, 23)); // 23:59 CET on the 27th: outside
    await request(acc.id, 'found', Date.UTC(2026, 2, 27, 23, 30), Date.UTC(2026, 2, 27, 23, 30, 0, 40)); // 00:30 on the 28th, 40 ms
    await request(acc.id, 'not_found', Date.UTC(2026, 2, 28, 23, 30), Date.UTC(2026, 2, 28, 23, 30, 45)); // 00:30 CET on the 29th, 45 s
    await request(acc.id, 'failed', Date.UTC(2026, 2, 29, 21, 30)); // 23:30 CEST on the 29th
    await request(acc.id, 'found', Date.UTC(2026, 2, 29, 22, 30), Date.UTC(2026, 2, 29, 22, 30, 3)); // 00:30 CEST on the 30th, 3 s
    await request(acc.id, 'cancelled', Date.UTC(2026, 2, 31, 21, 59)); // 23:59 CEST on the 31st
    await request(acc.id, 'found', Date.UTC(2026, 2, 31, 22)); // 00:00 on 1 April: outside

    const series = await requestsPerHour(h.store.db, timeline);
    assert.deepEqual(series.counts.found, [1, 0, 1, 0]);
    assert.deepEqual(series.counts.not_found, [0, 1, 0, 0]);
    assert.deepEqual(series.counts.failed, [0, 1, 0, 0]);
    assert.deepEqual(series.counts.cancelled, [0, 0, 0, 1]);
    const times = await answerTimes(h.store.db, timeline);
    assert.equal(times.overall.answered, 3);
    assert.deepEqual(
      times.p50.map((v) => v !== null),
      [true, true, true, false],
    );
    assert.ok(
      times.p50[0]! <= 50 && times.p50[1]! > 30_000 && times.p50[1]! <= 60_000 && times.p50[2]! > 2500 && times.p50[2]! <= 5000,
      JSON.stringify(times.p50),
    );
  });

  test('prepaid accounts under the threshold: lowest balance first, days left at the last 30 days’ average spend', async () => {
    const now = h.clock.now();
    h.clock.set(now - 60 * DAY_MS);
    const steady = await h.account({ name: 'Costante', initialCreditCents: 1800 });
    const empty = await h.account({ name: 'A secco', initialCreditCents: 0 });
    const idle = await h.account({ name: 'Ferma', initialCreditCents: 200 });
    const rich = await h.account({ name: 'Capiente', initialCreditCents: 5000 });
    const postpaid = await h.account({ name: 'Posticipata', billingMode: 'postpaid', initialCreditCents: 0 });
    const off = await h.account({ name: 'Disattivata', initialCreditCents: 10 });
    h.clock.set(now - 10 * DAY_MS);
    const young = await h.account({ name: 'Giovane', initialCreditCents: 200 });
    h.clock.set(now);
    await ledger(steady.id, 'charge', -1000, now - 40 * DAY_MS); // before the 30 days
    for (let i = 1; i <= 30; i++) await ledger(steady.id, 'charge', -10, now - i * DAY_MS + 1); // 10 a day
    await ledger(young.id, 'charge', -100, now - 5 * DAY_MS); // 100 in its 10 days: 10 a day
    await ledger(postpaid.id, 'charge', -500, now - DAY_MS);
    await ledger(rich.id, 'charge', -100, now - DAY_MS);
    await h.store.db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', off.id).execute();

    const all = await lowBalanceAccounts(h.store.db, { belowCents: 1000, now, limit: 10 });
    assert.equal(all.total, 4);
    assert.deepEqual(
      all.accounts.map((r) => [r.name, r.balanceCents, r.dailySpendCents, r.daysLeft]),
      [
        ['A secco', 0, 0, 0],
        ['Giovane', 100, 10, 10],
        ['Ferma', 200, 0, null],
        ['Costante', 500, 10, 50],
      ],
    );
    assert.equal(all.accounts[0].accountId, empty.id);
    assert.equal(all.accounts[2].accountId, idle.id);
    const two = await lowBalanceAccounts(h.store.db, { belowCents: 1000, now, limit: 2 });
    assert.deepEqual([two.total, two.accounts.length], [4, 2]);
    const none = await lowBalanceAccounts(h.store.db, { belowCents: 0, now, limit: 10 });
    assert.deepEqual(none, { total: 0, accounts: [] });
  });
});
