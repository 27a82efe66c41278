import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newWebhookSecret, secretHint, signWebhook, verifyWebhook } from '../../src/webhooks/sign.ts';
import { documentedSignatureIsValid } from './receiver.ts';

const secret = 'whsec_test_secret_0123456789abcdef';
const body = '{"id":"abc","status":"found","pec":"protocollo@pec.comune.rezzoaglio.ge.it"}';
const ts = 1_764_320_400;

test('the signature is the documented v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))', () => {
  const sig = signWebhook(secret, ts, body);
  assert.match(sig, /^v1=[0-9a-f]{64}$/);
  assert.equal(documentedSignatureIsValid(secret, String(ts), body, sig), true);
  // A fixed vector, checked with the shell recipe of docs/webhooks.md:
  // printf '%s' "1764320400.$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex
  assert.equal(sig, 'v1=5365f17cd8300fe21f7e25627d73ef203f534ae511afb1a011800d0faff96622');
});

test('verifyWebhook accepts the original and refuses any alteration', () => {
  const sig = signWebhook(secret, ts, body);
  assert.equal(verifyWebhook(secret, sig, String(ts), body), true);
  assert.equal(verifyWebhook(secret, sig, String(ts), body.replace('found', 'not_found')), false, 'body altered');
  assert.equal(verifyWebhook(secret, sig, String(ts + 1), body), false, 'timestamp altered');
  assert.equal(verifyWebhook(`${secret}x`, sig, String(ts), body), false, 'another secret');
  assert.equal(
    verifyWebhook(
      secret,
      sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      String(ts),
      body,
    ),
    false,
    'signature altered',
  );
  assert.equal(verifyWebhook(secret, sig.toUpperCase(), String(ts), body), false);
  assert.equal(verifyWebhook(secret, undefined, String(ts), body), false);
  assert.equal(verifyWebhook(secret, sig, undefined, body), false);
  assert.equal(verifyWebhook(secret, sig, 'yesterday', body), false);
  assert.equal(verifyWebhook(secret, `v0=deadbeef, ${sig}`, String(ts), body), true, 'any listed v1 signature');
});

test('verifyWebhook refuses timestamps outside the tolerance (replays)', () => {
  const sig = signWebhook(secret, ts, body);
  assert.equal(verifyWebhook(secret, sig, String(ts), body, { nowSeconds: ts + 299 }), true);
  assert.equal(verifyWebhook(secret, sig, String(ts), body, { nowSeconds: ts + 301 }), false);
  assert.equal(verifyWebhook(secret, sig, String(ts), body, { nowSeconds: ts - 301 }), false);
  assert.equal(verifyWebhook(secret, sig, String(ts), body, { nowSeconds: ts + 3000, toleranceSeconds: 3600 }), true);
});

test('secrets carry 256 random bits; the hint shows only their end', () => {
  const a = newWebhookSecret();
  assert.match(a, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, newWebhookSecret());
  assert.equal(secretHint(a), `whsec_…${a.slice(-4)}`);
  assert.ok(!secretHint(a).includes(a.slice(6, 20)));
});
