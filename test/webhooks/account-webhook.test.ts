import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createWebhookHarness, type WebhookHarness } from './webhook-harness.ts';
import { isSigned, startReceiver, type Receiver } from './receiver.ts';

const CODES = ['82003050109', '84000950133', '00138020078', '00138030077', '00893240150'];

await eachDialect(describe, 'account webhook', (dialect) => {
  let h: WebhookHarness;
  let key: string;
  let r1: Receiver;
  let r2: Receiver;
  beforeEach(async () => {
    h = await createWebhookHarness(dialect);
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    ({ key } = await h.account());
    [r1, r2] = await Promise.all([startReceiver(), startReceiver()]);
  });
  afterEach(async () => {
    await Promise.all([r1.close(), r2.close()]);
    await h.close();
  });

  const call = (method: string, path: string, body?: unknown, as = key) => h.call(as, method, path, body);
  /** Submits, lets the lookup worker answer, returns the id. */
  async function lookup(code: string, callbackUrl?: string): Promise<string> {
    const created = await call('POST', '/v1/lookups', { code, ...(callbackUrl ? { callbackUrl } : {}) });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    h.worker.start();
    // The long poll subscribes before it reads: an answer given in between is not missed.
    const answered = await call('GET', `/v1/lookups/${created.body.id}?wait=5`);
    assert.notEqual(answered.body.status, 'queued', 'answered by the lookup worker');
    return created.body.id;
  }
  const bodyOf = (x: { body: string }) => JSON.parse(x.body);

  test('PUT sets the default callback for every lookup without its own; rotate-secret re-signs; DELETE stops it', async () => {
    const put = await call('PUT', '/v1/account/webhook', { url: `${r1.url}/account` });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.url, `${r1.url}/account`);
    const secret: string = put.body.secret;
    assert.ok(secret, 'the secret is shown once, at creation');
    assert.equal(put.body.secretHint, `whsec_…${secret.slice(-4)}`);
    const got = await call('GET', '/v1/account/webhook');
    assert.equal(got.body.url, `${r1.url}/account`);
    assert.equal(got.body.secret, undefined, 'afterwards only the hint');
    assert.equal(got.body.secretHint, put.body.secretHint);
    assert.equal((await call('PUT', '/v1/account/webhook', { url: `${r1.url}/account` })).body.secret, undefined, 'a second PUT keeps it hidden');

    h.webhooks.start();
    const a = await lookup(CODES[0]);
    const b = await lookup(CODES[1], `${r2.url}/own`);
    const [toAccount] = await r1.waitFor(1);
    const [toOwn] = await r2.waitFor(1);
    assert.equal(bodyOf(toAccount).id, a, 'no callbackUrl: the account default');
    assert.equal(bodyOf(toOwn).id, b, 'its own callbackUrl wins over the default');
    assert.equal(toAccount.path, '/account');
    assert.ok(isSigned(secret, toAccount) && isSigned(secret, toOwn), 'both signed with the account secret');

    const rotated = await call('POST', '/v1/account/webhook/rotate-secret');
    assert.equal(rotated.status, 200);
    const fresh: string = rotated.body.secret;
    assert.ok(fresh && fresh !== secret);
    assert.equal((await call('GET', '/v1/account/webhook')).body.secret, undefined);
    await lookup(CODES[2]);
    const [, third] = await r1.waitFor(2);
    assert.ok(isSigned(fresh, third), 'signed with the new secret');
    assert.equal(isSigned(secret, third), false, 'not with the old one');

    const chosen = 'my-own-webhook-secret-0123456789';
    const withSecret = await call('PUT', '/v1/account/webhook', { url: `${r1.url}/account`, secret: chosen });
    assert.equal(withSecret.body.secret, undefined, 'a secret chosen by the customer is not echoed');
    assert.equal(withSecret.body.secretHint, `…${chosen.slice(-4)}`);
    await lookup(CODES[3]);
    const [, , fourth] = await r1.waitFor(3);
    assert.ok(isSigned(chosen, fourth));

    const deleted = await call('DELETE', '/v1/account/webhook');
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.url, null);
    assert.equal(deleted.body.secretHint, withSecret.body.secretHint, 'the secret stays for per-lookup callbacks');
    const quiet = await lookup(CODES[4]);
    assert.deepEqual((await call('GET', `/v1/lookups/${quiet}/deliveries`)).body.items, [], 'no default callback: nothing to deliver');
  });

  test('settings are validated: URL rules, secret length, strict body', async () => {
    const bad = async (body: unknown, status: number, code: string) => {
      const r = await call('PUT', '/v1/account/webhook', body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.code, code);
    };
    await bad({ url: 'ftp://example.com/x' }, 422, 'invalid_callback_url');
    await bad({ url: 'https://user:pw@example.com/x' }, 422, 'invalid_callback_url');
    await bad({ url: 'not a url' }, 422, 'invalid_callback_url');
    await bad({ url: 'https://example.com/x', secret: 'short' }, 400, 'invalid_request');
    await bad({ url: 'https://example.com/x', secret: 'has spaces in it, which are not allowed' }, 400, 'invalid_request');
    await bad({ url: 'https://example.com/x', extra: true }, 400, 'invalid_request');
    await bad({}, 400, 'invalid_request');
    assert.equal((await call('GET', '/v1/account/webhook')).body.url, null);
  });

  test('the delivery log is account-scoped and paged', async () => {
    assert.equal((await call('PUT', '/v1/account/webhook', { url: `${r1.url}/log` })).status, 200);
    h.webhooks.start();
    const ids = [];
    for (const code of CODES.slice(0, 3)) ids.push(await lookup(code));
    await r1.waitFor(3);
    // Delivered: the receiver answered, and the attempt was recorded once the run finished.
    await h.webhooks.idle();

    const all = await call('GET', '/v1/webhooks/deliveries?status=delivered');
    assert.equal(all.body.items.length, 3);
    assert.deepEqual(new Set(all.body.items.map((d: any) => d.lookupId)), new Set(ids));
    const page1 = await call('GET', '/v1/webhooks/deliveries?limit=2');
    assert.equal(page1.body.items.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await call('GET', `/v1/webhooks/deliveries?limit=2&cursor=${page1.body.nextCursor}`);
    assert.equal(page2.body.items.length, 1);
    assert.equal(page2.body.nextCursor, null);
    const paged = [...page1.body.items, ...page2.body.items].map((d: any) => d.id);
    assert.deepEqual(
      paged,
      all.body.items.map((d: any) => d.id),
      'newest first, no gap, no repeat',
    );
    assert.equal((await call('GET', '/v1/webhooks/deliveries?cursor=%%%')).status, 400);
    assert.equal((await call('GET', '/v1/webhooks/deliveries?status=pending')).body.items.length, 0);
    const one = await call('GET', `/v1/webhooks/deliveries/${paged[0]}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.attempts.length, 1);
    assert.equal(one.body.attempts[0].statusCode, 200);

    const other = (await h.account()).key;
    assert.equal((await call('GET', `/v1/lookups/${ids[0]}/deliveries`, undefined, other)).status, 404);
    assert.equal((await call('GET', `/v1/webhooks/deliveries/${paged[0]}`, undefined, other)).status, 404);
    assert.deepEqual((await call('GET', '/v1/webhooks/deliveries', undefined, other)).body.items, []);
    assert.equal((await call('GET', '/v1/lookups/unknown-lookup/deliveries')).status, 404);
    assert.equal((await call('GET', '/v1/webhooks/deliveries/whd_unknown')).status, 404);
  });
});
