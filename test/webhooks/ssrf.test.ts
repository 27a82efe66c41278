import { describe, test, beforeEach, afterEach, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { eachDialect } from '../helpers/stores.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { postWebhook, TARGET_UNREACHABLE, type Resolver } from '../../src/webhooks/deliver.ts';
import { createWebhookHarness, type WebhookHarness } from './webhook-harness.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const FOUND = '82003050109';
const OTHER = '84000950133';
/** A public-looking name that our injected DNS points at loopback: what a rebinding attacker does. */
const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

await eachDialect(describe, 'webhook SSRF rules (allowPrivateCallbacks off)', (dialect) => {
  let h: WebhookHarness;
  let r: Receiver;
  let key: string;
  beforeEach(async () => {
    h = await createWebhookHarness(dialect, { allowPrivateCallbacks: false }, { resolve: toLoopback });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    ({ key } = await h.account());
    r = await startReceiver();
  });
  afterEach(async () => {
    await r.close();
    await h.close();
  });

  test('a loopback URL is refused at submit and in the account settings', async () => {
    for (const url of [
      `${r.url}/hook`,
      `http://localhost:${r.port}/hook`,
      `http://[::1]:${r.port}/`,
      'http://10.0.0.8/hook',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      const submitted = await h.call(key, 'POST', '/v1/lookups', { code: FOUND, callbackUrl: url });
      assert.equal(submitted.status, 422, url);
      assert.equal(submitted.body.code, 'invalid_callback_url');
      const put = await h.call(key, 'PUT', '/v1/account/webhook', { url });
      assert.equal(put.status, 422, url);
    }
    assert.equal(r.received.length, 0);
  });

  test('at delivery: a name resolving to loopback, or a stored loopback URL, is refused at once and never connected', async () => {
    h.webhooks.start();
    // Accepted at submit (a public-looking name), refused once resolved.
    const first = h.nextRun();
    const named = await h.call(key, 'POST', '/v1/lookups', { code: FOUND, callbackUrl: `http://hooks.example.com:${r.port}/hook` });
    assert.equal(named.status, 202);
    h.worker.start();
    await first;
    // A loopback URL stored while the setting was on (it is off now).
    await h.store.db
      .updateTable('account_webhooks')
      .set({ url: `${r.url}/hook` })
      .execute();
    const second = h.nextRun();
    const literal = await h.call(key, 'POST', '/v1/lookups', { code: OTHER });
    await second;

    for (const id of [named.body.id, literal.body.id]) {
      const [delivery] = (await h.call(key, 'GET', `/v1/lookups/${id}/deliveries`)).body.items;
      assert.equal(delivery.status, 'failed', 'not retried: it would be refused again');
      assert.equal(delivery.nextAttemptAt, null);
      assert.equal(delivery.attempts.length, 1);
      assert.equal(delivery.attempts[0].statusCode, null);
      // The customer's log says no more than an unreachable target would (no port scanning).
      assert.equal(delivery.attempts[0].error, TARGET_UNREACHABLE);
      assert.equal(delivery.lastError, TARGET_UNREACHABLE);
    }
    assert.equal(r.received.length, 0, 'the receiver was never reached');
  });
});

describe('postWebhook', () => {
  const servers: http.Server[] = [];
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });
  const post = (url: string, o: Partial<Parameters<typeof postWebhook>[0]> = {}) =>
    postWebhook({ url, body: '{"a":1}', headers: { 'content-type': 'application/json' }, timeoutMs: 2000, allowPrivate: true, ...o });

  test('connects to the resolved address it checked (pinned), with the name in Host', async () => {
    const r = await startReceiver();
    try {
      const result = await post(`http://hooks.example.com:${r.port}/in?x=1`, { resolve: toLoopback });
      assert.equal(result.statusCode, 200);
      assert.equal(result.error, null);
      assert.equal(r.received[0].headers.host, `hooks.example.com:${r.port}`);
      assert.equal(r.received[0].path, '/in?x=1');
      assert.equal(r.received[0].body, '{"a":1}');
    } finally {
      await r.close();
    }
  });

  test('refuses a name with any private address among its answers, before connecting', async () => {
    let asked = 0;
    const mixed: Resolver = async () => {
      asked++;
      return [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ];
    };
    const result = await post('https://hooks.example.com/x', { allowPrivate: false, resolve: mixed });
    assert.equal(asked, 1);
    assert.equal(result.refused, true);
    assert.equal(result.statusCode, null);
    const v6 = await post('https://hooks.example.com/x', { allowPrivate: false, resolve: async () => [{ address: '::ffff:127.0.0.1', family: 6 }] });
    assert.equal(v6.refused, true);
  });

  test('does not follow redirects', async () => {
    const r = await startReceiver(() => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }));
    try {
      const result = await post(`${r.url}/x`);
      assert.equal(result.statusCode, 302);
      assert.match(result.error!, /redirects are not followed/);
      assert.equal(r.received.length, 1);
    } finally {
      await r.close();
    }
  });

  test('times out a receiver that does not answer; reports DNS failures as retryable; one reason for every unanswered attempt', async () => {
    const silent = http.createServer(() => {});
    servers.push(silent);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    const result = await post(`http://127.0.0.1:${port}/slow`, { timeoutMs: 150 });
    assert.equal(result.statusCode, null);
    assert.equal(result.error, TARGET_UNREACHABLE);
    assert.match(result.detail!, /timed out after 150 ms/);
    assert.equal(result.refused, false);

    // A closed port: the low-level ECONNREFUSED stays in the operator's detail.
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const refusedConnection = await post(`http://127.0.0.1:${closedPort}/x`);
    assert.equal(refusedConnection.error, TARGET_UNREACHABLE);
    assert.match(refusedConnection.detail!, /ECONNREFUSED/);
    const refusedAddress = await post(`http://127.0.0.1:${closedPort}/x`, { allowPrivate: false });
    assert.equal(refusedAddress.error, TARGET_UNREACHABLE);
    assert.match(refusedAddress.detail!, /^refused: .*loopback/);

    const nxdomain = await post('https://nowhere.example/x', {
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' });
      },
    });
    assert.equal(nxdomain.error, TARGET_UNREACHABLE);
    assert.match(nxdomain.detail!, /cannot resolve nowhere\.example: getaddrinfo ENOTFOUND/);
    assert.equal(nxdomain.refused, false);
  });
});
