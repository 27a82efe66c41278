import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { updateAccount } from '../../src/accounts/update-account.ts';
import { listLedger } from '../../src/billing/ledger.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { loadMirror } from './fixture.ts';

await eachDialect(describe, 'GET /v1/search', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
    await loadMirror(h.store);
  });
  afterEach(() => h.close());

  const search = (key: string, query: string) => h.app.inject({ method: 'GET', url: `/v1/search?${query}`, headers: { authorization: `Bearer ${key}` } });

  test('answers ranked results with codes, place, PECs and source; free without a search price', async () => {
    const a = await h.account();
    const r = await search(a.key, `q=${encodeURIComponent('comune di rezzo')}`);
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.deepEqual(
      body.items.map((i: { name: string }) => i.name),
      ['Comune di Val Rezzo', 'Comune di Rezzoaglio'],
    );
    assert.equal(body.items[1].code, '82003050109');
    assert.equal(body.items[1].ipaCode, 'c_h258');
    assert.equal(body.items[1].place.province, 'GE');
    assert.deepEqual(body.items[1].source, { type: 'ipa', name: 'ipa-mirror' });
    assert.deepEqual(body.items[1].pecs, [{ pec: 'protocollo@pec.comune.rezzoaglio.ge.it', kind: 'ente', source: 'ipa-mirror' }]);
    assert.equal(body.nextCursor, null);
    assert.deepEqual(
      (await listLedger(h.store.db, a.id)).map((l) => l.kind),
      ['topup'],
    );
    const filtered = (await search(a.key, 'q=rezzo&province=GE')).json();
    assert.deepEqual(
      filtered.items.map((i: { name: string }) => i.name),
      ['Comune di Rezzoaglio'],
    );
  });

  test('pages with cursor and limit', async () => {
    const a = await h.account();
    const all = (await search(a.key, 'q=ri&limit=100')).json().items.map((i: { code: string }) => i.code);
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const body: { items: { code: string }[]; nextCursor: string | null } = (await search(a.key, `q=ri&limit=10${cursor ? `&cursor=${cursor}` : ''}`)).json();
      paged.push(...body.items.map((x: { code: string }) => x.code));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual(paged, all);
  });

  test('bad input is a problem+json 400, and is not charged', async () => {
    const a = await h.account();
    await updateAccount(h.store, a.id, h.clock.now(), { searchPriceCents: 3 });
    for (const query of [
      'q=',
      '',
      `q=${'a'.repeat(201)}`,
      'q=rezzo&limit=0',
      'q=rezzo&limit=101',
      'q=rezzo&limit=x',
      'q=rezzo&cursor=zzz',
      'q=%3F%21',
      'q=rezzo&province=Genova',
    ]) {
      const r = await search(a.key, query);
      assert.equal(r.statusCode, 400, `${query}: ${r.body}`);
      assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
      assert.equal(r.json().code, 'invalid_request');
    }
    assert.equal(await balanceOf(h.store.db, a.id), 1000);
  });

  test("priced per search at the account's search price; prepaid without credit is refused with 402; one account's searches never charge another", async () => {
    const a = await h.account({ initialCreditCents: 5 });
    const b = await h.account({ initialCreditCents: 1000 });
    await updateAccount(h.store, a.id, h.clock.now(), { searchPriceCents: 3 });
    assert.equal((await search(a.key, 'q=rezzoaglio')).statusCode, 200);
    assert.equal(await balanceOf(h.store.db, a.id), 2);
    const refused = await search(a.key, 'q=rezzoaglio');
    assert.equal(refused.statusCode, 402, refused.body);
    assert.equal(refused.json().code, 'insufficient_credit');
    assert.equal(await balanceOf(h.store.db, a.id), 2);
    const ledger = await listLedger(h.store.db, a.id);
    assert.deepEqual(
      ledger.map((l) => [l.kind, l.amountCents]),
      [
        ['topup', 5],
        ['search', -3],
      ],
    );
    // b has no search price: free, and nothing moves on a's ledger.
    assert.equal((await search(b.key, 'q=rezzoaglio')).statusCode, 200);
    assert.equal(await balanceOf(h.store.db, b.id), 1000);
    assert.equal((await listLedger(h.store.db, a.id)).length, 2);
    const usage = await h.app.inject({ method: 'GET', url: '/v1/account/ledger', headers: { authorization: `Bearer ${a.key}` } });
    assert.equal(usage.statusCode, 200, usage.body);
    assert.ok(usage.json().items.some((i: { kind: string }) => i.kind === 'search'));
  });

  test('without a key: 401', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/search?q=rezzo' });
    assert.equal(r.statusCode, 401);
  });
});

describe('the OpenAPI document', () => {
  test('documents GET /v1/search with its query and problems', async () => {
    const h = await createHarness('sqlite');
    try {
      const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const op = doc.paths['/v1/search'].get;
      assert.equal(op.operationId, 'searchNames');
      assert.deepEqual(op.parameters.map((p: { name: string }) => p.name).sort(), ['category', 'cursor', 'limit', 'province', 'q']);
      for (const status of ['200', '400', '401', '402']) assert.ok(op.responses[status], status);
    } finally {
      await h.close();
    }
  });
});
