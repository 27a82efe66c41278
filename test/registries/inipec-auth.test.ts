import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { createHttpClient } from '../../src/registries/http-client.ts';
import { inipecSource } from '../../src/registries/inipec/definition.ts';
import { RegistryError } from '../../src/registries/registry.ts';
import { SourceLimitsSchema } from '../../src/registries/source-limits.ts';
import { INIPEC_STANDIN_CLIENT_ID } from '../../src/standins/inipec/server.ts';
import { TEST_KEYS } from '../../src/standins/test-keys.ts';
import { clientOptions, inipecRig, START, type InipecRig } from './inipec-setup.ts';

const certDer = new X509Certificate(readFileSync(TEST_KEYS.clientCertFile)).raw.toString('base64');

/** A client assertion made by hand, to try what the stand-in must refuse. */
async function assertion(o: { keyPem?: string; x5c?: string[]; aud?: string; clientId?: string; exp?: number; alg?: string }, rig: InipecRig) {
  const key = await importPKCS8(o.keyPem ?? TEST_KEYS.clientKeyPem(), 'RS256');
  const now = Math.floor(rig.clock.now() / 1000);
  return new SignJWT({ scope: 'pec-pa' })
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5c: o.x5c ?? [certDer], use: 'sig' })
    .setAudience(o.aud ?? rig.standin.baseUrl)
    .setIssuer(o.clientId ?? INIPEC_STANDIN_CLIENT_ID)
    .setSubject(o.clientId ?? INIPEC_STANDIN_CLIENT_ID)
    .setJti(randomUUID())
    .setExpirationTime(o.exp ?? now + 120)
    .sign(key);
}

async function authenticate(rig: InipecRig, jws: string, clientId = INIPEC_STANDIN_CLIENT_ID) {
  const res = await fetch(`${rig.standin.baseUrl}/authentication?client_id=${clientId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: jws,
  });
  return { status: res.status, text: await res.text() };
}

describe('INI-PEC authentication', () => {
  let rig: InipecRig;
  afterEach(async () => rig?.close());

  test('the client signs the JWS InfoCamere expects and calls with the token as Bearer and the scope header', async () => {
    rig = await inipecRig();
    const company = rig.dataset.companies[0];
    assert.deepEqual(await rig.lookup(company.cf), {
      outcome: 'found',
      addresses: [{ pec: company.pec, kind: 'impresa', source: 'inipec', label: null, profession: null, validFrom: null, validUntil: null }],
    });
    const [auth, ...data] = rig.standin.received;
    assert.equal(auth.method, 'POST');
    assert.equal(auth.query.get('client_id'), INIPEC_STANDIN_CLIENT_ID);
    assert.match(String(auth.headers['content-type']), /application\/json/);
    const header = decodeProtectedHeader(auth.body);
    assert.deepEqual(header, { typ: 'JWT', alg: 'RS256', x5c: [certDer], use: 'sig' });
    const claims = decodeJwt(auth.body);
    assert.equal(claims.aud, rig.standin.baseUrl);
    assert.equal(claims.iss, INIPEC_STANDIN_CLIENT_ID);
    assert.equal(claims.sub, INIPEC_STANDIN_CLIENT_ID);
    assert.equal(claims.scope, 'pec-pa');
    assert.equal(claims.exp, START / 1000 + 120, 'exp from the injected clock');
    assert.match(String(claims.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(data.length >= 2);
    for (const r of data) {
      assert.match(String(r.headers.authorization), /^Bearer \S+$/);
      assert.equal(r.headers.scope, 'pec-pa');
      assert.equal(r.query.get('client_id'), INIPEC_STANDIN_CLIENT_ID);
    }
  });

  test('the stand-in refuses a bad signature, a foreign certificate, a wrong audience or client id, an expired JWS', async () => {
    rig = await inipecRig();
    const now = Math.floor(rig.clock.now() / 1000);
    assert.equal((await authenticate(rig, await assertion({}, rig))).status, 200, 'the genuine one passes');
    assert.equal((await authenticate(rig, await assertion({ keyPem: TEST_KEYS.otherKeyPem() }, rig))).status, 401, 'signed by another key');
    assert.equal((await authenticate(rig, await assertion({ x5c: [certDer.slice(0, -8) + 'AAAAAAAA'] }, rig))).status, 401, 'another certificate');
    assert.equal((await authenticate(rig, await assertion({ aud: 'https://elsewhere.example' }, rig))).status, 401, 'wrong audience');
    assert.equal((await authenticate(rig, await assertion({ clientId: 'qualcun-altro' }, rig))).status, 401, 'iss/sub not the client id');
    assert.equal((await authenticate(rig, await assertion({}, rig), 'qualcun-altro')).status, 401, 'client_id not the iss');
    assert.equal((await authenticate(rig, await assertion({ exp: now - 1 }, rig))).status, 401, 'expired');
    assert.equal((await authenticate(rig, 'not-a-jws')).status, 401);
  });

  test('data calls need a valid token for their scope', async () => {
    rig = await inipecRig();
    const token = (await authenticate(rig, await assertion({}, rig))).text;
    const call = (headers: Record<string, string>) => fetch(`${rig.standin.baseUrl}/getElencoPec/123456789`, { headers }).then((r) => r.status);
    assert.equal(await call({}), 401, 'no token');
    assert.equal(await call({ authorization: 'Bearer abc.def.ghi', scope: 'pec-pa' }), 401, 'a forged token');
    assert.equal(await call({ authorization: `Bearer ${token}` }), 401, 'no scope header');
    assert.equal(await call({ authorization: `Bearer ${token}`, scope: 'pec-pa' }), 404, 'valid: the id is just unknown');
    rig.clock.advance(301_000);
    assert.equal(await call({ authorization: `Bearer ${token}`, scope: 'pec-pa' }), 401, 'expired');
  });

  test('credentials InfoCamere refuses: a permanent error, and no data call is tried', async () => {
    rig = await inipecRig({ options: { clientId: 'cliente-sconosciuto' } });
    const error = await rig.lookup(rig.dataset.companies[0].cf).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryError);
    assert.equal(error.transient, false);
    assert.equal(error.code, 'auth_401');
    assert.deepEqual(rig.calls(), ['POST /authentication']);
  });

  test('a key and a certificate that do not belong together, or a missing file, stop the start', async () => {
    rig = await inipecRig();
    const limits = SourceLimitsSchema.parse({});
    const http = createHttpClient('inipec', limits);
    const ctx = { store: undefined as never, clock: rig.clock, logger: pino({ level: 'silent' }), limits, http, resolvePath: (p: string) => p };
    try {
      assert.throws(
        () => inipecSource.create(clientOptions(rig.standin, { privateKeyFile: TEST_KEYS.otherKeyFile }), ctx),
        /certificate does not match the private key/,
      );
      assert.throws(
        () => inipecSource.create(clientOptions(rig.standin, { certificateFile: '/nonexistent/cert.pem' }), ctx),
        /sources\.inipec\.certificateFile: cannot read/,
      );
    } finally {
      await http.close();
    }
  });

  test('the token is reused until shortly before it expires, then renewed (the clock decides)', async () => {
    rig = await inipecRig({ standin: { tokenTtlSeconds: 300 } });
    const [a, b, c] = rig.dataset.companies;
    await rig.lookup(a.cf);
    assert.equal(rig.count('authentication'), 1);
    rig.clock.advance(200_000);
    await rig.lookup(b.cf);
    assert.equal(rig.count('authentication'), 1, 'still valid: reused');
    rig.clock.advance(75_000);
    await rig.lookup(c.cf);
    assert.equal(rig.count('authentication'), 2, '25 s before expiry: renewed');
    rig.clock.advance(10 * 60_000);
    await rig.lookup(a.cf);
    assert.equal(rig.count('authentication'), 3, 'long expired: renewed');
  });

  test('a 401 on a data call drops the token and tries once more with a new one', async () => {
    rig = await inipecRig();
    const [a, b] = rig.dataset.companies;
    await rig.lookup(a.cf);
    rig.standin.revokeTokens();
    const before = rig.standin.received.length;
    assert.equal((await rig.lookup(b.cf)).outcome, 'found');
    assert.deepEqual(rig.calls().slice(before, before + 3), ['POST /richiestaElencoPec', 'POST /authentication', 'POST /richiestaElencoPec']);
    assert.equal(rig.count('authentication'), 2);
  });
});
