import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { getAccount, updateAccountStatusForTest } from '../helpers/accounts.ts';
import { acceptLookups, type PreparedSubmission } from '../../src/lookups/accept-lookups.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { verifyLedger } from '../../src/billing/verify-ledger.ts';
import { isCercapecError } from '../../src/errors.ts';
import { newToken } from '../../src/ids.ts';
import { codeAt } from '../../bench/lib/codes.ts';
import type { Account } from '../../src/accounts/api-keys.ts';

await eachDialect(describe, 'accepting submissions in groups', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
  });
  afterEach(async () => {
    await h.close();
  });

  const prepared = (account: Account, code: string, extra: Partial<PreparedSubmission> = {}): PreparedSubmission => ({
    id: newToken(),
    account,
    code,
    kind: 'cf11',
    reference: null,
    callbackUrl: null,
    via: 'text',
    idempotency: null,
    answer: null,
    ...extra,
  });

  test('concurrent submissions share transactions and keep their own outcomes: duplicates, credit, accepted', async () => {
    const { id } = await h.account({ priceCents: 10, initialCreditCents: 250 });
    const account = (await getAccount(h.store, id))!;
    // 40 submissions at once: 35 distinct codes, 5 repeated; credit for 25.
    const codes = [...Array.from({ length: 35 }, (_, i) => codeAt(i)), ...Array.from({ length: 5 }, (_, i) => codeAt(i))];
    const results = await Promise.allSettled(codes.map((code) => submitLookup(h.services.lookups, { account, code, via: 'text' })));
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const reasons = results.flatMap((r) => (r.status === 'rejected' && isCercapecError(r.reason) ? [r.reason.code] : []));
    assert.equal(accepted.length, 25);
    assert.equal(reasons.filter((c) => c === 'duplicate_request').length, 5);
    assert.equal(reasons.filter((c) => c === 'insufficient_credit').length, 10);
    assert.equal(reasons.length, 15, 'every refusal is a protocol refusal, not a failure');
    assert.equal(await balanceOf(h.store.db, id), 0);
    const requests = await h.store.db.selectFrom('requests').select('id').where('account_id', '=', id).execute();
    assert.equal(requests.length, 25);
    const charges = await h.store.db.selectFrom('ledger').select('request_id').where('account_id', '=', id).where('kind', '=', 'charge').execute();
    assert.deepEqual(new Set(charges.map((c) => c.request_id)), new Set(requests.map((r) => r.id)));
    assert.deepEqual((await verifyLedger(h.store.db)).mismatches, []);
  });

  test('one group: a duplicate of a code accepted earlier in the group, idempotent replays and conflicts', async () => {
    const { id } = await h.account({ priceCents: 10, initialCreditCents: 1000 });
    const account = (await getAccount(h.store, id))!;
    const a = prepared(account, codeAt(1), { idempotency: { key: 'k1', bodyHash: 'h1' } });
    const replay = prepared(account, codeAt(1), { idempotency: { key: 'k1', bodyHash: 'h1' } });
    const conflict = prepared(account, codeAt(2), { idempotency: { key: 'k1', bodyHash: 'other' } });
    const dup = prepared(account, codeAt(1));
    const b = prepared(account, codeAt(3));
    const out = await acceptLookups(h.services.lookups, [a, replay, conflict, dup, b]);
    assert.deepEqual(out[0], { ok: true, id: a.id, replayed: false, webhooks: 0 });
    assert.deepEqual(out[1], { ok: true, id: a.id, replayed: true, webhooks: 0 });
    assert.ok(!out[2].ok && isCercapecError(out[2].error, 'idempotency_conflict'));
    assert.ok(!out[3].ok && isCercapecError(out[3].error, 'duplicate_request') && out[3].error.details.id === a.id);
    assert.ok(out[4].ok && !out[4].replayed);
    assert.equal(await balanceOf(h.store.db, id), 980, 'two accepted, charged once each');
  });

  test('a submission that breaks the transaction does not sink the others of its group', async () => {
    const { id } = await h.account({ priceCents: 10, initialCreditCents: 1000 });
    const account = (await getAccount(h.store, id))!;
    const first = prepared(account, codeAt(10));
    assert.ok((await acceptLookups(h.services.lookups, [first]))[0].ok);
    // Same token as a stored request: its insert violates the primary key and aborts the group.
    const clash = prepared(account, codeAt(11), { id: first.id });
    const fine = [prepared(account, codeAt(12)), prepared(account, codeAt(13))];
    const out = await acceptLookups(h.services.lookups, [fine[0], clash, fine[1]]);
    assert.ok(out[0].ok && out[2].ok, 'the others are accepted');
    assert.ok(!out[1].ok);
    assert.equal(await balanceOf(h.store.db, id), 970);
    assert.deepEqual((await verifyLedger(h.store.db)).mismatches, []);
  });

  test('terms come from the account row at acceptance: a disabled account or a new price applies at once', async () => {
    const { id } = await h.account({ priceCents: 10, initialCreditCents: 1000 });
    const stale = (await getAccount(h.store, id))!;
    await h.store.db.updateTable('accounts').set({ price_cents: 25 }).where('id', '=', id).execute();
    assert.ok((await acceptLookups(h.services.lookups, [prepared(stale, codeAt(20))]))[0].ok);
    assert.equal(await balanceOf(h.store.db, id), 975);
    await updateAccountStatusForTest(h.store, id, 'disabled');
    const out = await acceptLookups(h.services.lookups, [prepared(stale, codeAt(21))]);
    assert.ok(!out[0].ok && isCercapecError(out[0].error, 'key_invalid'));
    assert.equal(await balanceOf(h.store.db, id), 975);
  });
});
