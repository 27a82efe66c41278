import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness } from '../helpers/services.ts';
import { getAccount, topUp } from '../../src/accounts/accounts.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { cancelLookupByCode } from '../../src/lookups/cancel-lookup.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { verifyLedger } from '../../src/billing/verify-ledger.ts';
import { isCercapecError } from '../../src/errors.ts';
import { codeAt } from '../../bench/lib/codes.ts';

const op = fc.oneof(
  fc.record({ kind: fc.constant('submit' as const), code: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cancel' as const), code: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('topup' as const), cents: fc.integer({ min: 1, max: 40 }) }),
);

/**
 * Charges, refunds (cancellations of pending requests) and top-ups run concurrently, through the
 * group commit as the protocols use it; afterwards every stored balance equals its ledger's sum,
 * a prepaid account without a credit limit never went below zero, and no request was charged or
 * refunded twice.
 */
await eachDialect(describe, 'ledger invariant under concurrency', (dialect) => {
  test('stored balance = ledger sum, never below the credit limit, one charge and one refund per request at most', async () => {
    const h = await createHarness(dialect);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 60 }), async (ops, opening) => {
          const { id } = await h.account({ priceCents: 10, initialCreditCents: opening });
          const account = (await getAccount(h.store, id))!;
          await Promise.all(
            ops.map(async (o) => {
              try {
                if (o.kind === 'submit') await submitLookup(h.services.lookups, { account, code: codeAt(o.code), via: 'text' });
                else if (o.kind === 'cancel') await cancelLookupByCode(h.services.lookups, account, codeAt(o.code));
                else await topUp(h.store, id, o.cents, h.clock.now());
              } catch (error) {
                if (!isCercapecError(error)) throw error;
              }
            }),
          );
          const { mismatches } = await verifyLedger(h.store.db);
          assert.deepEqual(mismatches, []);
          assert.ok((await balanceOf(h.store.db, id)) >= 0, 'a prepaid account without a credit limit never owes');
          const rows = await h.store.db
            .selectFrom('ledger')
            .select(['request_id', 'kind'])
            .where('account_id', '=', id)
            .where('request_id', 'is not', null)
            .execute();
          const seen = new Set<string>();
          for (const r of rows) {
            const k = `${r.request_id}/${r.kind}`;
            assert.ok(!seen.has(k), `${k} twice`);
            seen.add(k);
          }
        }),
        { numRuns: 12, seed: 20261202 },
      );
    } finally {
      await h.close();
    }
  });
});

/**
 * Many distinct codes at once on one prepaid account: on PostgreSQL the groups take the
 * one-statement path, two per lane, so a group decides credit on a balance another group of the
 * same account is committing. Exactly as many are accepted as the credit pays for, with top-ups
 * racing them, and the stored balance still equals the ledger's sum.
 */
await eachDialect(describe, 'credit under concurrent groups of one account', (dialect) => {
  test('accepted = what the credit pays for; stored balance = ledger sum; never below zero', async () => {
    const h = await createHarness(dialect);
    try {
      const { id } = await h.account({ priceCents: 10, initialCreditCents: 500 });
      const account = (await getAccount(h.store, id))!;
      const outcomes = await Promise.all([
        ...Array.from({ length: 300 }, (_, i) =>
          submitLookup(h.services.lookups, { account, code: codeAt(100 + i), via: 'text' }).then(
            () => 'accepted',
            (error) => {
              if (!isCercapecError(error)) throw error;
              return error.code;
            },
          ),
        ),
        ...Array.from({ length: 5 }, () => topUp(h.store, id, 100, h.clock.now()).then(() => 'topup')),
      ]);
      const accepted = outcomes.filter((o) => o === 'accepted').length;
      const refused = outcomes.filter((o) => o !== 'accepted' && o !== 'topup');
      assert.ok(
        refused.every((o) => o === 'insufficient_credit'),
        `only credit refusals: ${[...new Set(refused)]}`,
      );
      const { mismatches } = await verifyLedger(h.store.db);
      assert.deepEqual(mismatches, []);
      const balance = await balanceOf(h.store.db, id);
      assert.ok(balance >= 0, `balance ${balance}`);
      assert.equal(balance, 500 + 5 * 100 - 10 * accepted, 'every accepted lookup charged once, nothing else');
      assert.ok(accepted >= 50 && accepted <= 100, `${accepted} accepted`);
    } finally {
      await h.close();
    }
  });
});
