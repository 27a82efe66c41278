import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { revokeApiKey } from '../../src/accounts/api-keys.ts';

const REZZOAGLIO = '82003050109';
const UNKNOWN = '00743110157';

interface Json {
  status: number;
  headers: Headers;
  body: any;
}

await eachDialect(describe, 'JSON API', (dialect) => {
  let h: Harness;
  let base: string;
  let key: string;
  let accountId: string;
  beforeEach(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    ({ key, id: accountId } = await h.account({ initialCreditCents: 1000, priceCents: 10 }));
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => h.close());

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, as = key): Promise<Json> {
    const r = await fetch(base + path, {
      method,
      headers: { ...(as ? { authorization: `Bearer ${as}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
  }
  const balance = async () => (await call('GET', '/v1/account')).body.balanceCents;
  const isProblem = (r: Json, status: number, code: string) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(r.body.code, code);
    assert.equal(r.body.status, status);
    assert.equal(r.body.type, `/problems/${code.replaceAll('_', '-')}`);
    assert.ok(r.body.title);
  };

  test('401 without a key, with a wrong or revoked key', async () => {
    isProblem(await call('GET', '/v1/account', undefined, {}, ''), 401, 'unauthorized');
    const wrong = await call('GET', '/v1/account', undefined, {}, 'cp_nope');
    isProblem(wrong, 401, 'unauthorized');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer/);
    const keys = await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', accountId).execute();
    await revokeApiKey(h.store, keys[0].id, h.clock.now());
    isProblem(await call('GET', '/v1/account'), 401, 'unauthorized');
  });

  test('submit: 202 resource, duplicate returns the existing lookup uncharged, bad input refused uncharged', async () => {
    const created = await call('POST', '/v1/lookups', { code: ` it ${REZZOAGLIO}`, reference: 'recupero crediti' });
    assert.equal(created.status, 202);
    assert.equal(created.body.code, REZZOAGLIO);
    assert.equal(created.body.kind, 'cf11');
    assert.equal(created.body.status, 'queued');
    assert.equal(created.body.reference, 'recupero crediti');
    assert.deepEqual(created.body.addresses, []);
    const again = await call('POST', '/v1/lookups', { code: REZZOAGLIO });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, created.body.id);
    isProblem(await call('POST', '/v1/lookups', { code: '82003050108' }), 422, 'invalid_code');
    isProblem(await call('POST', '/v1/lookups', { code: 123 }), 400, 'invalid_request');
    isProblem(await call('POST', '/v1/lookups', { code: UNKNOWN, extra: 1 }), 400, 'invalid_request');
    isProblem(await call('POST', '/v1/lookups', '{not json'), 400, 'invalid_request');
    isProblem(await call('POST', '/v1/lookups', 'code=1', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    isProblem(await call('POST', '/v1/lookups', { code: 'x'.repeat(2_000_000) }), 413, 'payload_too_large');
    for (const url of ['ftp://example.com/x', 'http://127.0.0.1/hook', 'http://10.1.2.3/hook', 'http://localhost:9/x', 'http://[::1]/x', 'http://user:pw@example.com/']) {
      isProblem(await call('POST', '/v1/lookups', { code: UNKNOWN, callbackUrl: url }), 422, 'invalid_callback_url');
    }
    assert.equal(await balance(), 990, 'one charge only');
    const withHook = await call('POST', '/v1/lookups', { code: UNKNOWN, callbackUrl: 'https://example.com/hook' });
    assert.equal(withHook.status, 202);
    assert.equal(withHook.body.callbackUrl, 'https://example.com/hook');
  });

  test('insufficient credit is a 402 problem', async () => {
    const poor = await h.account({ initialCreditCents: 5, priceCents: 10 });
    isProblem(await call('POST', '/v1/lookups', { code: UNKNOWN }, {}, poor.key), 402, 'insufficient_credit');
  });

  test('Idempotency-Key: concurrent retries create one lookup and one charge; another body is a 422', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/v1/lookups', { code: UNKNOWN }, { 'idempotency-key': 'order-42' })));
    const ids = new Set(results.map((r) => r.body.id));
    assert.equal(ids.size, 1);
    assert.ok(results.every((r) => r.status === 200 || r.status === 202));
    assert.equal(results.filter((r) => r.status === 202).length, 1);
    assert.equal(await balance(), 990);
    isProblem(await call('POST', '/v1/lookups', { code: REZZOAGLIO }, { 'idempotency-key': 'order-42' }), 422, 'idempotency_conflict');
  });

  test('the id is the text protocol token, both ways', async () => {
    const created = await call('POST', '/v1/lookups', { code: REZZOAGLIO });
    const answered = h.services.notifier.waitForAnswer(created.body.id, 10_000);
    h.worker.start();
    await answered;
    const poll = await fetch(`${base}/index_ws.php?key=${key}&token=${created.body.id}`);
    assert.equal(await poll.text(), 'OK|protocollo@pec.comune.rezzoaglio.ge.it|pec trovata');
    const text = await fetch(`${base}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: UNKNOWN }) });
    const token = (await text.text()).slice(3);
    const viaJson = await call('GET', `/v1/lookups/${token}?wait=10`);
    assert.equal(viaJson.body.status, 'not_found');
  });

  test('?wait long poll is woken by the answer; answered lookups return at once', async () => {
    const created = await call('POST', '/v1/lookups', { code: REZZOAGLIO });
    const waiting = call('GET', `/v1/lookups/${created.body.id}?wait=30`);
    // The request is open before any worker runs; starting the worker is what answers it.
    await new Promise((r) => setImmediate(r));
    h.worker.start();
    const answered = await waiting;
    assert.equal(answered.status, 200);
    assert.equal(answered.body.status, 'found');
    assert.equal(answered.body.pec, 'protocollo@pec.comune.rezzoaglio.ge.it');
    assert.equal(answered.body.addresses[0].source, 'directory');
    assert.equal(answered.body.addresses[0].kind, 'ente');
    assert.ok(answered.body.answeredAt);
    const again = await call('GET', `/v1/lookups/${created.body.id}?wait=30`);
    assert.equal(again.body.status, 'found');
    isProblem(await call('GET', `/v1/lookups/${created.body.id}?wait=61`), 400, 'invalid_request');
  });

  test("another account's lookup is 404 exactly like an unknown one", async () => {
    const created = await call('POST', '/v1/lookups', { code: REZZOAGLIO });
    const other = await h.account();
    const theirs = await call('GET', `/v1/lookups/${created.body.id}`, undefined, {}, other.key);
    const unknown = await call('GET', '/v1/lookups/AAAAAAAAAAAAAAAAAAAAAAAA', undefined, {}, other.key);
    isProblem(theirs, 404, 'not_found');
    assert.deepEqual(theirs.body, unknown.body);
    isProblem(await call('DELETE', `/v1/lookups/${created.body.id}`, undefined, {}, other.key), 404, 'not_found');
    assert.equal(await balance(), 990);
  });

  test('DELETE: pending is cancelled and refunded; answered stays charged; then 404', async () => {
    const pending = await call('POST', '/v1/lookups', { code: UNKNOWN });
    const cancelled = await call('DELETE', `/v1/lookups/${pending.body.id}`);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal(await balance(), 1000);
    isProblem(await call('GET', `/v1/lookups/${pending.body.id}`), 404, 'not_found');
    isProblem(await call('DELETE', `/v1/lookups/${pending.body.id}`), 404, 'not_found');
    const found = await call('POST', '/v1/lookups', { code: REZZOAGLIO });
    h.worker.start();
    await call('GET', `/v1/lookups/${found.body.id}?wait=10`);
    const deleted = await call('DELETE', `/v1/lookups/${found.body.id}`);
    assert.equal(deleted.body.status, 'found');
    assert.equal(await balance(), 990);
    assert.equal((await call('POST', '/v1/lookups', { code: REZZOAGLIO })).status, 202, 'the code is free again');
  });

  test('list: filters and cursor paging without gaps or duplicates', async () => {
    const { cf11CheckDigit } = await import('../../src/taxid/index.ts');
    const rich = await h.account({ initialCreditCents: 100_000 });
    const made: string[] = [];
    for (let i = 1; i <= 120; i++) {
      const first10 = String(i).padStart(7, '0') + '001';
      const r = await call('POST', '/v1/lookups', { code: first10 + cf11CheckDigit(first10) }, {}, rich.key);
      made.push(r.body.id);
      if (i % 7 === 0) h.clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await call('GET', `/v1/lookups?limit=25${cursor ? `&cursor=${cursor}` : ''}`, undefined, {}, rich.key);
      assert.equal(page.status, 200);
      seen.push(...page.body.items.map((l: { id: string }) => l.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 120);
    assert.deepEqual([...seen].sort(), [...made].sort());
    const firstCode = '0000001001' + cf11CheckDigit('0000001001');
    const spaced = encodeURIComponent(`it ${firstCode.slice(0, 5)} ${firstCode.slice(5)}`);
    const byCode = await call('GET', `/v1/lookups?code=${spaced}&limit=5`, undefined, {}, rich.key);
    assert.equal(byCode.body.items.length, 1);
    const queued = await call('GET', '/v1/lookups?status=found', undefined, {}, rich.key);
    assert.equal(queued.body.items.length, 0);
    isProblem(await call('GET', '/v1/lookups?cursor=!!', undefined, {}, rich.key), 400, 'invalid_request');
  });

  test('account, ledger paging and monthly usage', async () => {
    await call('POST', '/v1/lookups', { code: REZZOAGLIO });
    await call('POST', '/v1/lookups', { code: UNKNOWN });
    const account = await call('GET', '/v1/account');
    assert.deepEqual({ ...account.body, id: undefined }, { id: undefined, name: account.body.name, billingMode: 'prepaid', priceCents: 10, creditLimitCents: null, balanceCents: 980, balance: '9.80' });
    const first = await call('GET', '/v1/account/ledger?limit=2');
    assert.deepEqual(first.body.items.map((e: { kind: string }) => e.kind), ['topup', 'charge']);
    const second = await call('GET', `/v1/account/ledger?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(second.body.items.map((e: { amountCents: number }) => e.amountCents), [-10]);
    assert.equal(second.body.nextCursor, null);
    const usage = await call('GET', '/v1/account/usage?month=2026-11');
    assert.deepEqual(usage.body, { month: '2026-11', lookups: 2, byStatus: { queued: 2 }, chargedCents: 20 });
    isProblem(await call('GET', '/v1/account/usage?month=2026-13'), 400, 'invalid_request');
    isProblem(await call('GET', '/v1/nothing-here'), 404, 'not_found');
  });
});
