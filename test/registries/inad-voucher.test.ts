import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { RegistryError } from '../../src/registries/registry.ts';
import { INAD_DEFAULTS } from '../../src/registries/inad/definition.ts';
import { TEST_KEYS } from '../../src/standins/test-keys.ts';
import { INAD_STANDIN } from '../../src/standins/inad/inad-standin.ts';
import { inadCodes, inadFixture, query, START, type InadFixture } from './inad-fixture.ts';

describe('inad: PDND voucher', () => {
  let f: InadFixture;
  afterEach(async () => f?.close());

  test('a client assertion signed with the registered key gets a voucher, used as Bearer on INAD', async () => {
    f = await inadFixture();
    const { person } = inadCodes(f.dataset);
    const answer = await f.client.lookup(query(person.cf), AbortSignal.timeout(5000));
    assert.equal(answer.outcome, 'found');

    const [tokenCall] = f.sent('token');
    assert.equal(tokenCall.method, 'POST');
    assert.match(String(tokenCall.headers['content-type']), /application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(tokenCall.body);
    assert.equal(form.get('client_id'), INAD_STANDIN.clientId);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = form.get('client_assertion')!;
    assert.deepEqual(decodeProtectedHeader(assertion), { kid: TEST_KEYS.kid, alg: 'RS256', typ: 'JWT' });
    const claims = decodeJwt(assertion);
    assert.equal(claims.iss, INAD_STANDIN.clientId);
    assert.equal(claims.sub, INAD_STANDIN.clientId);
    assert.equal(claims.aud, INAD_STANDIN.audience);
    assert.equal(claims.purposeId, INAD_STANDIN.purposeId);
    assert.equal(claims.iat, START / 1000, 'iat from the injected clock');
    assert.ok(claims.exp! > claims.iat!);
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);

    const [extract] = f.sent('extract');
    assert.match(String(extract.headers.authorization), /^Bearer \S+$/);
  });

  test('the voucher is reused until shortly before it expires, then renewed', async () => {
    f = await inadFixture({ standin: { voucherTtlSeconds: 600 } });
    const codes = inadCodes(f.dataset).activePersons;
    await f.client.lookup(query(codes[0].cf), AbortSignal.timeout(5000));
    await f.client.lookup(query(codes[1].cf), AbortSignal.timeout(5000));
    assert.equal(f.sent('token').length, 1, 'cached');
    f.clock.advance(500_000);
    await f.client.lookup(query(codes[2].cf), AbortSignal.timeout(5000));
    assert.equal(f.sent('token').length, 1, 'still well before expiry');
    // 600 s voucher, renewed 60 s before it ends.
    f.clock.advance(45_000);
    await f.client.lookup(query(codes[3].cf), AbortSignal.timeout(5000));
    assert.equal(f.sent('token').length, 2, 'renewed before the stand-in would refuse it');
    const vouchers = new Set(f.sent('extract').map((r) => r.headers.authorization));
    assert.equal(vouchers.size, 2);
  });

  test('concurrent lookups share one token call', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 0 } });
    const codes = inadCodes(f.dataset).activePersons.slice(0, 6);
    const answers = await Promise.all(codes.map((p) => f.client.lookup(query(p.cf), AbortSignal.timeout(5000))));
    assert.ok(answers.every((a) => a.outcome === 'found'));
    assert.equal(f.sent('token').length, 1);
  });

  test('a voucher INAD refuses (401) is dropped and the call retried once with a new one', async () => {
    f = await inadFixture();
    const [a, b] = inadCodes(f.dataset).activePersons;
    await f.client.lookup(query(a.cf), AbortSignal.timeout(5000));
    f.standin.revokeVouchers();
    const answer = await f.client.lookup(query(b.cf), AbortSignal.timeout(5000));
    assert.equal(answer.outcome, 'found');
    assert.equal(f.sent('token').length, 2);
    assert.equal(f.sent('extract').length, 3, 'one refused, one retried');
  });

  test('a refusal that survives a new voucher (403: purpose suspended) is permanent', async () => {
    f = await inadFixture();
    f.standin.suspendPurpose(true);
    const error = await rejection(f.client.lookup(query(inadCodes(f.dataset).person.cf), AbortSignal.timeout(5000)));
    assert.equal(error.transient, false);
    assert.equal(error.code, '403');
    assert.match(error.message, /voucher PDND/);
    assert.equal(f.sent('token').length, 2, 'one refresh, no more');
    assert.equal(f.sent('extract').length, 2);
  });

  test('a bad signature is refused by the token endpoint: permanent, and INAD is never called', async () => {
    f = await inadFixture({ options: { privateKeyFile: TEST_KEYS.otherKeyFile } });
    const error = await rejection(f.client.lookup(query(inadCodes(f.dataset).person.cf), AbortSignal.timeout(5000)));
    assert.equal(error.transient, false);
    assert.equal(error.code, '401');
    assert.match(error.message, /PDND ha rifiutato la client assertion/);
    assert.match(error.message, /signature/i);
    assert.equal(f.sent('extract').length, 0);
  });

  test('a wrong audience is refused (permanent)', async () => {
    f = await inadFixture({ options: { audience: INAD_DEFAULTS.audience } });
    const error = await rejection(f.client.lookup(query(inadCodes(f.dataset).person.cf), AbortSignal.timeout(5000)));
    assert.equal(error.transient, false);
    assert.match(error.message, /aud/);
  });

  test("an expired assertion is refused (the client clock an hour behind PDND's)", async () => {
    // The client signs at START (its ManualClock); PDND's clock reads an hour later.
    f = await inadFixture({ standin: { clock: { now: () => START + 3_600_000 } } });
    const error = await rejection(f.client.lookup(query(inadCodes(f.dataset).person.cf), AbortSignal.timeout(5000)));
    assert.equal(error.transient, false);
    assert.match(error.message, /ERR_JWT_EXPIRED/);
  });

  test('an assertion without purposeId is refused with 400', async () => {
    f = await inadFixture();
    const key = await importPKCS8(TEST_KEYS.clientKeyPem(), 'RS256');
    const iat = Math.floor(START / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ kid: TEST_KEYS.kid, alg: 'RS256', typ: 'JWT' })
      .setIssuer(INAD_STANDIN.clientId)
      .setSubject(INAD_STANDIN.clientId)
      .setAudience(INAD_STANDIN.audience)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(key);
    const res = await fetch(f.standin.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: INAD_STANDIN.clientId,
        client_assertion: assertion,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        grant_type: 'client_credentials',
      }),
    });
    assert.equal(res.status, 400);
    assert.match(String(((await res.json()) as { detail?: unknown }).detail), /purposeId/);
  });

  test('a token endpoint failing with 503 is transient', async () => {
    f = await inadFixture();
    f.standin.setFault({ mode: '503', count: 1 });
    const error = await rejection(f.client.lookup(query(inadCodes(f.dataset).person.cf), AbortSignal.timeout(5000)));
    assert.equal(error.transient, true);
    assert.equal(f.sent('extract').length, 0);
    const answer = await f.client.lookup(query(inadCodes(f.dataset).person.cf), AbortSignal.timeout(5000));
    assert.equal(answer.outcome, 'found', 'the next lookup gets a voucher');
  });
});

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof RegistryError, `a RegistryError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}
