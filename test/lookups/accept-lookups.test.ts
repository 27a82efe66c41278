import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { getAccount, updateAccountStatusForTest } from '../helpers/accounts.ts';
import { acceptLookups } from '../../src/lookups/accept-lookups.ts';
import { acceptInOneStatement } from '../../src/lookups/accept-in-one-statement.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { verifyLedger } from '../../src/billing/verify-ledger.ts';
import { isCercapecError } from '../../src/errors.ts';
import { codeAt } from '../../bench/lib/codes.ts';
import { preparedSubmission } from '../helpers/submissions.ts';

await eachDialect(describe, 'accepting submissions in groups', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
  });
  afterEach(async () => {
    await h.close();
  });

  const prepared = preparedSubmission;

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

  test('a group of distinct codes (one statement on PostgreSQL): stored duplicates and keys, a disabled account, credit running out, two accounts', async () => {
    const a = (await getAccount(h.store, (await h.account({ priceCents: 10, initialCreditCents: 55 })).id))!;
    const b = (await getAccount(h.store, (await h.account({ billingMode: 'postpaid', priceCents: 5, initialCreditCents: 0 })).id))!;
    const off = (await getAccount(h.store, (await h.account({ priceCents: 10, initialCreditCents: 100 })).id))!;
    await updateAccountStatusForTest(h.store, off.id, 'disabled');
    const first = prepared(a, codeAt(30), { idempotency: { key: 'k1', bodyHash: 'h1' } });
    const zero = prepared(a, codeAt(29), { idempotency: { key: 'k0', bodyHash: 'h0' } });
    assert.ok((await acceptLookups(h.services.lookups, [first, zero])).every((o) => o.ok));
    const group = [
      prepared(a, codeAt(30)),
      prepared(a, codeAt(31), { idempotency: { key: 'k1', bodyHash: 'h1' } }),
      prepared(a, codeAt(32), { idempotency: { key: 'k0', bodyHash: 'other' } }),
      prepared(a, codeAt(33)),
      prepared(off, codeAt(34)),
      prepared(b, codeAt(35)),
      prepared(a, codeAt(36), { idempotency: { key: 'k2', bodyHash: 'h2' } }),
      prepared(a, codeAt(37)),
      prepared(a, codeAt(38)),
      prepared(a, codeAt(39), { idempotency: { key: 'k3', bodyHash: 'h3' } }),
    ];
    const inOne = await acceptInOneStatement(h.services.lookups, group);
    assert.equal(inOne !== null, dialect === 'postgres', 'PostgreSQL takes the one-statement path');
    const out = inOne ?? (await acceptLookups(h.services.lookups, group));
    const refusal = (i: number) => (!out[i].ok && isCercapecError(out[i].error) ? out[i].error.code : 'accepted');
    assert.ok(!out[0].ok && isCercapecError(out[0].error, 'duplicate_request') && out[0].error.details.id === first.id);
    assert.deepEqual(out[1], { ok: true, id: first.id, replayed: true, webhooks: 0 });
    assert.deepEqual(group.map((_, i) => refusal(i)).slice(2), [
      'idempotency_conflict',
      'accepted',
      'key_invalid',
      'accepted',
      'accepted',
      'accepted',
      'insufficient_credit',
      'insufficient_credit',
    ]);
    assert.deepEqual(out[3], { ok: true, id: group[3].id, replayed: false, webhooks: 0 });
    assert.equal(await balanceOf(h.store.db, a.id), 5, '55 - 5 x 10: the sixth and seventh are refused');
    assert.equal(await balanceOf(h.store.db, b.id), -5, 'postpaid without a limit');
    assert.equal(await balanceOf(h.store.db, off.id), 100);
    const stored = await h.store.db.selectFrom('requests').select(['id', 'charged_cents']).where('account_id', 'in', [a.id, b.id, off.id]).execute();
    assert.deepEqual(new Set(stored.map((r) => r.id)), new Set([first.id, zero.id, group[3].id, group[5].id, group[6].id, group[7].id]));
    const keys = await h.store.db.selectFrom('idempotency_keys').select(['key', 'request_id']).where('account_id', '=', a.id).orderBy('key').execute();
    assert.deepEqual(keys, [
      { key: 'k0', request_id: zero.id },
      { key: 'k1', request_id: first.id },
      { key: 'k2', request_id: group[6].id },
    ]);
    const jobs = await h.store.db.selectFrom('jobs').select('payload').execute();
    assert.equal(jobs.filter((j) => group.some((g) => j.payload.includes(g.id))).length, 4, 'a job for each accepted submission');
    assert.deepEqual((await verifyLedger(h.store.db)).mismatches, []);
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
