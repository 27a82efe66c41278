import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { findAddresses, findLookup } from '../../src/lookups/find-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';

await eachDialect(describe, 'inline answers', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect, { inlineAnswers: true });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
  });
  afterEach(() => h.close());
  const jobs = async () => (await h.store.db.selectFrom('jobs').selectAll().where('queue', '=', 'lookup').execute()).length;

  test('a directory hit is answered while accepting: no job, charged once, attempt recorded', async () => {
    const account = (await getAccount(h.store, (await h.account({ initialCreditCents: 100 })).id))!;
    const { id } = await submitLookup(h.services.lookups, { account, code: '82003050109', via: 'text' });
    const row = await findLookup(h.store, account.id, id);
    assert.equal(row?.status, 'found');
    assert.equal(row?.pec, 'protocollo@pec.comune.rezzoaglio.ge.it');
    assert.ok(row?.answered_at);
    assert.equal((await findAddresses(h.store, id)).length, 1);
    assert.equal(await jobs(), 0);
    assert.equal(await balanceOf(h.store.db, account.id), 90);
    const attempts = await h.store.db.selectFrom('attempts').select(['source', 'outcome']).where('request_id', '=', id).execute();
    assert.deepEqual(attempts, [{ source: 'directory', outcome: 'found' }]);
    const poll = await h.app.inject({ method: 'GET', url: `/index_ws.php?key=x&token=${id}` });
    assert.match(poll.body, /^ERROR\|/, 'still scoped by key');
  });

  test('a miss is final when the directory is the whole chain, and queued when more sources follow', async () => {
    const account = (await getAccount(h.store, (await h.account()).id))!;
    const miss = await submitLookup(h.services.lookups, { account, code: '00743110157', via: 'text' });
    assert.equal((await findLookup(h.store, account.id, miss.id))?.status, 'not_found');
    assert.equal(await jobs(), 0);
    const longer = { ...h.services.lookups, inline: { ...h.services.lookups.inline!, isWholeChain: () => false } };
    const queued = await submitLookup(longer, { account, code: '84000950133', via: 'text' });
    assert.equal((await findLookup(h.store, account.id, queued.id))?.status, 'found', 'hits stay inline');
    const other = await submitLookup(longer, { account, code: '01114601006', via: 'text' });
    assert.equal((await findLookup(h.store, account.id, other.id))?.status, 'queued');
    assert.equal(await jobs(), 1);
  });

  test('submissions at the same moment (one gathered directory read on PostgreSQL) each get the answer of their own code', async () => {
    const account = (await getAccount(h.store, (await h.account({ initialCreditCents: 1000 })).id))!;
    const expected = new Map([
      ['82003050109', 'protocollo@pec.comune.rezzoaglio.ge.it'],
      ['84000950133', 'comune.valrezzo@pec.regione.lombardia.it'],
      ['00743110157', null],
      ['01114601006', null],
    ]);
    const submitted = await Promise.all([...expected.keys()].map((code) => submitLookup(h.services.lookups, { account, code, via: 'text' })));
    for (const { id, code } of submitted) {
      const row = await findLookup(h.store, account.id, id);
      assert.equal(row?.status, expected.get(code) ? 'found' : 'not_found', code);
      assert.equal(row?.pec ?? null, expected.get(code), code);
    }
    assert.equal(await jobs(), 0);
  });
});
