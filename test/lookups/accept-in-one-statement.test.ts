import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { getAccount } from '../helpers/accounts.ts';
import { acceptLookups, type Acceptance, type PreparedSubmission } from '../../src/lookups/accept-lookups.ts';
import { acceptInOneStatement } from '../../src/lookups/accept-in-one-statement.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { verifyLedger } from '../../src/billing/verify-ledger.ts';
import { codeAt } from '../../bench/lib/codes.ts';
import type { Account } from '../../src/accounts/api-keys.ts';
import { preparedSubmission } from '../helpers/submissions.ts';

type Answer = NonNullable<PreparedSubmission['answer']>;

/** The local directory's answer, as answerInline hands it over. */
const notFound = (): Answer => ({ outcome: 'not_found', attempts: [{ source: 'directory', startedAt: 1, finishedAt: 2, outcome: 'not_found', error: null }] });
const found = (pec: string, validFrom: number | null = null): Answer => ({
  outcome: 'found',
  source: 'directory',
  addresses: [{ pec, kind: 'impresa', source: 'directory', datasetId: null, label: null, validFrom }],
  attempts: [{ source: 'directory', startedAt: 1, finishedAt: 2, outcome: 'found', error: null }],
});

// The answers' observations (history) decided inside the one statement on PostgreSQL, against
// the transaction path (observe()) on SQLite: the same assertions hold on both.
await eachDialect(describe, 'accepting answered submissions in one statement', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
  });
  afterEach(async () => {
    await h.close();
  });

  const prepared = (account: Account, code: string, answer: Answer | null): PreparedSubmission => preparedSubmission(account, code, { answer });
  const newAccount = async () => (await getAccount(h.store, (await h.account({ priceCents: 10, initialCreditCents: 1000 })).id))!;
  /** Accepts a group: in one statement where expected (PostgreSQL only), else the transaction path after a statement that wrote nothing. */
  async function accept(group: PreparedSubmission[], inOneExpected: boolean): Promise<Acceptance[]> {
    const accounts = [...new Set(group.map((g) => g.account.id))];
    const before = await Promise.all(accounts.map((id) => balanceOf(h.store.db, id)));
    const inOne = await acceptInOneStatement(h.services.lookups, group);
    assert.equal(inOne !== null, dialect === 'postgres' && inOneExpected, 'the one-statement path where expected');
    if (inOne) return inOne;
    assert.deepEqual(await Promise.all(accounts.map((id) => balanceOf(h.store.db, id))), before, 'a group the statement gives up on is not charged');
    const stored = await h.store.db
      .selectFrom('requests')
      .select('id')
      .where(
        'id',
        'in',
        group.map((g) => g.id),
      )
      .execute();
    assert.deepEqual(stored, [], 'nor stored');
    return acceptLookups(h.services.lookups, group);
  }
  const history = (code: string) =>
    h.store.db.selectFrom('address_observations').selectAll().where('code', '=', code).orderBy('first_seen_at').orderBy('id').execute();

  test('a first answer opens the history, the same answer again extends it, another address goes the transaction path', async () => {
    const [a, b, c] = [await newAccount(), await newAccount(), await newAccount()];
    const t0 = h.clock.now();
    const out = await accept([prepared(a, codeAt(40), found('uno@pec.it')), prepared(a, codeAt(41), notFound()), prepared(a, codeAt(42), null)], true);
    assert.ok(out.every((o) => o.ok && !o.replayed));
    assert.deepEqual(
      (await history(codeAt(40))).map((r) => [r.pec, r.first_seen_at, r.last_seen_at, r.superseded_at]),
      [['uno@pec.it', t0, t0, null]],
    );
    assert.deepEqual(
      (await history(codeAt(41))).map((r) => [r.pec, r.source]),
      [[null, 'directory']],
    );
    assert.deepEqual(await history(codeAt(42)), [], 'no answer, no observation');

    h.clock.advance(60_000);
    const t1 = h.clock.now();
    assert.ok((await accept([prepared(b, codeAt(40), found('UNO@pec.it')), prepared(b, codeAt(41), notFound())], true)).every((o) => o.ok));
    assert.deepEqual(
      (await history(codeAt(40))).map((r) => [r.pec, r.first_seen_at, r.last_seen_at, r.superseded_at]),
      [['uno@pec.it', t0, t1, null]],
      'the same address, case aside: seen again',
    );
    assert.deepEqual(
      (await history(codeAt(41))).map((r) => r.last_seen_at),
      [t1],
    );

    h.clock.advance(60_000);
    const t2 = h.clock.now();
    assert.ok((await accept([prepared(c, codeAt(40), found('due@pec.it')), prepared(c, codeAt(43), notFound())], false)).every((o) => o.ok));
    assert.deepEqual(
      (await history(codeAt(40))).map((r) => [r.pec, r.superseded_at]),
      [
        ['uno@pec.it', t2],
        ['due@pec.it', null],
      ],
      'a changed address: the old row superseded, the new one current',
    );
    assert.equal((await history(codeAt(43))).length, 1);

    h.clock.advance(60_000);
    const t3 = h.clock.now();
    const d = await newAccount();
    const gone = await accept([prepared(d, codeAt(40), notFound()), prepared(d, codeAt(43), found('tre@pec.it'))], false);
    assert.ok(gone.every((o) => o.ok));
    assert.deepEqual(
      (await history(codeAt(40))).map((r) => [r.pec, r.superseded_at]),
      [
        ['uno@pec.it', t2],
        ['due@pec.it', t3],
        [null, null],
      ],
      'an address that became none is a change too, and none that became an address',
    );
    assert.deepEqual(
      (await history(codeAt(43))).map((r) => [r.pec, r.superseded_at]),
      [
        [null, t3],
        ['tre@pec.it', null],
      ],
    );
    for (const acc of [a, b, c, d]) assert.equal(await balanceOf(h.store.db, acc.id), acc === a ? 970 : 980);
    assert.deepEqual((await verifyLedger(h.store.db)).mismatches, []);
  });

  test('a validity the source now gives, or an account with webhooks, goes the transaction path', async () => {
    const [a, b, hooked] = [await newAccount(), await newAccount(), await newAccount()];
    assert.ok((await accept([prepared(a, codeAt(50), found('tre@pec.it'))], true))[0].ok);
    const validFrom = Date.UTC(2025, 0, 1);
    assert.ok((await accept([prepared(b, codeAt(50), found('tre@pec.it', validFrom))], false))[0].ok);
    assert.deepEqual(
      (await history(codeAt(50))).map((r) => [r.pec, r.valid_from, r.superseded_at]),
      [['tre@pec.it', validFrom, null]],
    );

    const now = h.clock.now();
    await h.store.db
      .insertInto('account_webhooks')
      .values({ account_id: hooked.id, url: null, secret: 'segreto', secret_shown_at: null, created_at: now, updated_at: now })
      .execute();
    assert.ok((await accept([prepared(hooked, codeAt(51), notFound())], false))[0].ok);
    assert.ok((await accept([prepared(hooked, codeAt(52), null)], true))[0].ok, 'no answer: nothing for a webhook, one statement still');
    assert.equal(await balanceOf(h.store.db, hooked.id), 980);
    assert.deepEqual((await verifyLedger(h.store.db)).mismatches, []);
  });
});
