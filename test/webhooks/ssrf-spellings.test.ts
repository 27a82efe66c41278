import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { callbackUrlProblem } from '../../src/webhooks/callback-url.ts';
import { refusedAddressReason } from '../../src/webhooks/target-address.ts';
import { postWebhook, TARGET_UNREACHABLE } from '../../src/webhooks/deliver.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/**
 * Internal targets in the spellings an attacker tries (issue 15 item 1, and the usual SSRF
 * lists). Each must be refused when registered (lookup callbackUrl, account webhook, batch
 * callbackUrl) and, for addresses, again at delivery, without ever connecting.
 */
const REFUSED: string[] = [
  // loopback, named
  'http://localhost/',
  'http://localhost./',
  'http://LOCALHOST.:8080/',
  'http://api.localhost/',
  'http://api.localhost./',
  'http://%6c%6fcalhost/',
  // loopback, IPv4 in every notation the URL parser accepts
  'http://127.0.0.1/',
  'http://127.0.0.1./',
  'http://127.1/',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://0x7f000001/',
  'http://017700000001/',
  'http://0177.0.0.1/',
  'http://①②⑦.0.0.1/',
  'http://127.255.255.254/',
  // unspecified
  'http://0/',
  'http://0.0.0.0/',
  'http://[::]/',
  // loopback, IPv6 and IPv4 inside IPv6
  'http://[::1]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[0:0:0:0:0:ffff:7f00:1]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:0:7f00:1]/',
  'http://[::127.0.0.1]/',
  'http://[::7f00:1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::7f00:1]/',
  'http://[2002:7f00:1::]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
  // private, shared, link-local, cloud metadata
  'http://10.0.0.8/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://169.254.169.254/latest/meta-data',
  'http://[fc00::1]/',
  'http://[fd12:3456:789a::1]/',
  'http://[fe80::1]/',
  'http://[fe80::1%25eth0]/',
  'http://[fec0::1]/',
  // multicast, broadcast, reserved, benchmarking, documentation
  'http://224.0.0.1/',
  'http://239.255.255.250/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
  'http://240.0.0.1/',
  'http://198.18.0.1/',
  'http://198.19.255.254/',
  'http://192.0.0.1/',
  'http://192.0.0.170/',
  'http://192.0.2.1/',
  'http://[2001:2::1]/',
  'http://[2001:db8::1]/',
  'http://[100::1]/',
  'http://[::1:2:3:4]/',
  // internal names
  'http://metadata/',
  'http://printer.local/',
  'http://db.internal/',
  'http://router.home.arpa/',
];

const ALLOWED = [
  'https://hooks.example.com/cercapec',
  'http://93.184.216.34/',
  'https://8.8.8.8:8443/x',
  'http://[2606:4700:4700::1111]/',
  'https://hooks.example.com./x',
];

describe('webhook targets: the spellings of internal addresses', () => {
  test('the table is large enough to mean something', () => {
    assert.ok(REFUSED.length >= 40, `${REFUSED.length} spellings`);
  });

  test('callbackUrlProblem refuses every spelling and allows public targets', () => {
    for (const url of REFUSED) assert.ok(callbackUrlProblem(url, false), `${url} was allowed`);
    for (const url of ALLOWED) assert.equal(callbackUrlProblem(url, false), null, url);
  });

  test('CERCAPEC_ALLOW_PRIVATE_CALLBACKS lifts the address rules (development), not the scheme rules', () => {
    for (const url of ['http://127.0.0.1:3000/', 'http://localhost./', 'http://[::ffff:7f00:1]/', 'http://10.0.0.8/'])
      assert.equal(callbackUrlProblem(url, true), null, url);
    assert.ok(callbackUrlProblem('file:///etc/passwd', true));
    assert.ok(callbackUrlProblem('http://user:pw@127.0.0.1/', true));
  });

  test('addresses carrying an IPv4 address name it in the reason', () => {
    assert.match(refusedAddressReason('::ffff:a9fe:a9fe')!, /169\.254\.169\.254, link-local/);
    assert.match(refusedAddressReason('64:ff9b::7f00:1')!, /NAT64.*127\.0\.0\.1, loopback/);
    assert.match(refusedAddressReason('2002:7f00:1::')!, /6to4.*127\.0\.0\.1/);
    assert.match(refusedAddressReason('2001:0:4136:e378:8000:63bf:80ff:fffe')!, /Teredo.*127\.0\.0\.1/);
    assert.match(refusedAddressReason('::7f00:1')!, /127\.0\.0\.1/);
    assert.equal(refusedAddressReason('2a00:1450:4002:402::200e'), null);
    assert.equal(refusedAddressReason('151.101.1.69'), null);
  });
});

describe('webhook targets: refused at registration', () => {
  let h: Harness;
  let key: string;
  before(async () => {
    h = await createHarness('sqlite', { allowPrivateCallbacks: false });
    ({ key } = await h.account());
  });
  after(() => h.close());

  const call = (method: string, url: string, payload?: unknown, type = 'application/json') =>
    h.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, 'content-type': type },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  test('POST /v1/lookups callbackUrl, PUT /v1/account/webhook and batch callbackUrl answer problems for every spelling', async () => {
    for (const url of REFUSED) {
      const lookup = await call('POST', '/v1/lookups', { code: '82003050109', callbackUrl: url });
      assert.equal(lookup.statusCode, 422, `lookup ${url}: ${lookup.body}`);
      assert.equal(lookup.json().code, 'invalid_callback_url');
      assert.match(lookup.headers['content-type'] as string, /^application\/problem\+json/);
      const put = await call('PUT', '/v1/account/webhook', { url });
      assert.equal(put.statusCode, 422, `account webhook ${url}: ${put.body}`);
      assert.equal(put.json().code, 'invalid_callback_url');
      const batch = await call('POST', `/v1/batches?callbackUrl=${encodeURIComponent(url)}`, 'codice\n82003050109\n', 'text/csv');
      assert.equal(batch.statusCode, 400, `batch ${url}: ${batch.body}`);
      assert.match(batch.json().detail, /^callbackUrl: /);
    }
    const requests = await h.store.db.selectFrom('requests').select('id').execute();
    assert.equal(requests.length, 0, 'nothing was stored or charged');
  });

  test('a public target is accepted', async () => {
    const put = await call('PUT', '/v1/account/webhook', { url: 'https://hooks.example.com/cercapec' });
    assert.equal(put.statusCode, 200, put.body);
  });
});

describe('webhook targets: refused at delivery, on the resolved address, never connected', () => {
  let r: Receiver;
  before(async () => {
    r = await startReceiver();
  });
  after(() => r.close());

  const post = (url: string, resolve?: Parameters<typeof postWebhook>[0]['resolve']) =>
    postWebhook({ url, body: '{"a":1}', headers: { 'content-type': 'application/json' }, timeoutMs: 2000, allowPrivate: false, resolve });

  test('every address spelling, pointed at a live listener on 127.0.0.1, is refused before connecting', async () => {
    for (const spelling of REFUSED) {
      let url: URL;
      try {
        url = new URL(spelling);
      } catch {
        continue; // not a URL at all: never reaches delivery
      }
      url.port = String(r.port);
      const result = await post(url.href, async () => [{ address: '127.0.0.1', family: 4 }]);
      assert.equal(result.refused, true, `${url.href}: ${result.detail}`);
      assert.equal(result.error, TARGET_UNREACHABLE);
    }
    assert.equal(r.received.length, 0, 'the listener was never reached');
  });

  test('a public-looking name resolving to any refused address is refused (checked after resolution)', async () => {
    const addresses = REFUSED.map((s) => (URL.canParse(s) ? new URL(s).hostname.replace(/^\[|\]$/g, '') : '')).filter((a) => isIP(a));
    assert.ok(addresses.length >= 40, `${addresses.length} addresses`);
    for (const address of addresses) {
      const result = await post(`http://hooks.example.com:${r.port}/in`, async () => [{ address, family: isIP(address) }]);
      assert.equal(result.refused, true, `${address}: ${result.detail}`);
    }
    assert.equal(r.received.length, 0);
  });
});
