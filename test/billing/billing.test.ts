import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { createAccount, topUp } from '../../src/accounts/accounts.ts';
import { balanceOf, canSpend } from '../../src/billing/balance.ts';
import { appendLedger, listLedger, refundRequest } from '../../src/billing/ledger.ts';
import { formatEuro, parseEuro } from '../../src/resources/money.ts';
import { verifyLedger } from '../../src/billing/verify-ledger.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

const NOW = Date.UTC(2026, 10, 1);

describe('money', () => {
  test('formats cents as the protocol balance', () => {
    assert.equal(formatEuro(1250), '12.50');
    assert.equal(formatEuro(5), '0.05');
    assert.equal(formatEuro(0), '0.00');
    assert.equal(formatEuro(-10), '-0.10');
    assert.equal(formatEuro(-123456), '-1234.56');
  });
  test('parses euro amounts exactly', () => {
    assert.equal(parseEuro('12.5'), 1250);
    assert.equal(parseEuro('12,05'), 1205);
    assert.equal(parseEuro('-3'), -300);
    assert.equal(parseEuro('1.234'), null);
    assert.equal(parseEuro('abc'), null);
  });
  test('credit terms: prepaid stops at minus its limit, postpaid is open unless limited', () => {
    assert.equal(canSpend({ billing_mode: 'prepaid', credit_limit_cents: null }, 10, 10), true);
    assert.equal(canSpend({ billing_mode: 'prepaid', credit_limit_cents: null }, 9, 10), false);
    assert.equal(canSpend({ billing_mode: 'prepaid', credit_limit_cents: 100 }, 0, 100), true);
    assert.equal(canSpend({ billing_mode: 'postpaid', credit_limit_cents: null }, -1_000_000_000, 10), true);
    assert.equal(canSpend({ billing_mode: 'postpaid', credit_limit_cents: 50 }, -45, 10), false);
  });
});

await eachDialect(describe, 'ledger', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  test('the balance is the sum of the ledger, with a running balance in order', async () => {
    const { account } = await createAccount(store, NOW, { name: 'a', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 1000 });
    assert.equal(await balanceOf(store.db, account.id), 1000);
    assert.equal(await topUp(store, account.id, 250, NOW + 1, 'bonifico'), 1250);
    assert.equal(await topUp(store, account.id, -50, NOW + 2), 1200);
    const rows = await listLedger(store.db, account.id);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.amountCents, r.runningBalanceCents]),
      [
        ['topup', 1000, 1000],
        ['topup', 250, 1250],
        ['adjustment', -50, 1200],
      ],
    );
    assert.equal(rows[1].reason, 'bonifico');
  });

  test('a request is refunded at most once, and the database forbids a second charge', async () => {
    const { account } = await createAccount(store, NOW, { name: 'a', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 100 });
    const inTrx = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => store.db.transaction().execute(fn);
    await inTrx((trx) => appendLedger(trx, { accountId: account.id, amountCents: -10, kind: 'charge', requestId: 'req1', now: NOW }));
    await assert.rejects(inTrx((trx) => appendLedger(trx, { accountId: account.id, amountCents: -10, kind: 'charge', requestId: 'req1', now: NOW })));
    assert.equal(await balanceOf(store.db, account.id), 90, 'a refused second charge moves no balance');
    assert.equal(await inTrx((trx) => refundRequest(trx, 'req1', NOW, 'x')), 10);
    assert.equal(await inTrx((trx) => refundRequest(trx, 'req1', NOW, 'x')), 0);
    assert.equal(await inTrx((trx) => refundRequest(trx, 'never-charged', NOW, 'x')), 0);
    assert.equal(await balanceOf(store.db, account.id), 100);
    assert.deepEqual((await verifyLedger(store.db)).mismatches, []);
  });

  test('accounts refuse nonsense terms', async () => {
    await assert.rejects(createAccount(store, NOW, { name: ' ', billingMode: 'prepaid', priceCents: 10 }), /name/);
    await assert.rejects(createAccount(store, NOW, { name: 'x', billingMode: 'prepaid', priceCents: -1 }), /price/);
    await assert.rejects(createAccount(store, NOW, { name: 'x', billingMode: 'prepaid', priceCents: 1, initialCreditCents: -5 }), /opening credit/);
    const { account } = await createAccount(store, NOW, { name: 'x', billingMode: 'prepaid', priceCents: 1 });
    await assert.rejects(topUp(store, account.id, 0, NOW), /non-zero/);
    await assert.rejects(topUp(store, account.id, 1.5, NOW), /whole/);
  });
});
