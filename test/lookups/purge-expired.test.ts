import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { purgeExpired } from '../../src/lookups/purge-expired.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';

const DAY = 86_400_000;

await eachDialect(describe, 'retention', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
  });
  afterEach(() => h.close());

  test('old answered requests go with their addresses and attempts; pending and recent ones and the ledger stay', async () => {
    const account = (await getAccount(h.store, (await h.account({ initialCreditCents: 1000 })).id))!;
    const old = await submitLookup(h.services.lookups, { account, code: '82003050109', via: 'text' });
    const oldPending = await submitLookup(h.services.lookups, { account, code: '00743110157', via: 'text' });
    // Answer only the first: the second stays pending (its job is removed by hand).
    await h.store.db.deleteFrom('jobs').where('payload', 'like', `%${oldPending.id}%`).execute();
    const answered = h.services.notifier.waitForAnswer(old.id, 10_000);
    h.worker.start();
    await answered;
    await h.worker.stop();
    h.clock.advance(91 * DAY);
    const recent = await submitLookup(h.services.lookups, { account, code: '84000950133', via: 'text' });
    await h.store.db.deleteFrom('jobs').execute();
    const balance = await balanceOf(h.store.db, account.id);
    const ledgerRows = (await h.store.db.selectFrom('ledger').selectAll().execute()).length;

    const counts = await h.store.db.transaction().execute((trx) => purgeExpired(trx, h.clock.now(), 90));
    assert.equal(counts.requests, 1);
    assert.equal(counts.addresses, 1);
    assert.equal(counts.attempts, 1);
    const left = (await h.store.db.selectFrom('requests').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(left, [oldPending.id, recent.id].sort());
    assert.equal((await h.store.db.selectFrom('request_addresses').selectAll().execute()).length, 0);
    assert.equal((await h.store.db.selectFrom('ledger').selectAll().execute()).length, ledgerRows, 'ledger kept');
    assert.equal(await balanceOf(h.store.db, account.id), balance);
  });

  test('retention 0 keeps everything; failed jobs past retention are removed', async () => {
    const now = h.clock.now();
    await h.store.db.insertInto('jobs').values({ id: 'j1', queue: 'lookup', payload: '{}', status: 'failed', run_at: now, attempts: 3, max_attempts: 3, locked_by: null, locked_until: null, last_error: 'x', created_at: now, updated_at: now }).execute();
    assert.equal((await h.store.db.transaction().execute((trx) => purgeExpired(trx, now + 100 * DAY, 0))).jobs, 0);
    assert.equal((await h.store.db.transaction().execute((trx) => purgeExpired(trx, now + 100 * DAY, 90))).jobs, 1);
  });
});
