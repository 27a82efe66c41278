import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createClientAssertion } from '../../src/registries/inipec/client-assertion.ts';
import { INIPEC_BASE_PATH, INIPEC_STANDIN_CLIENT_ID } from '../../src/standins/inipec/server.ts';
import type { StandinRequest } from '../../src/standins/standin-server.ts';
import { TEST_KEYS } from '../../src/standins/test-keys.ts';
import { loadSpec } from '../helpers/spec-conformance.ts';
import { asSpecSees, inipecRig, type InipecRig } from './inipec-setup.ts';

const SPEC = 'infocamere-inipec.yaml';

/** A request as the checker needs it to find the operation of a response. */
function requestFor(method: string, path: string): StandinRequest {
  return { method, url: path, path: `${INIPEC_BASE_PATH}${path}`, query: new URLSearchParams(), headers: {}, body: '' };
}

describe('INI-PEC against the published spec', () => {
  let rig: InipecRig;
  afterEach(async () => rig?.close());

  test('every request the client sends conforms, bodies included', async () => {
    rig = await inipecRig();
    const d = rig.dataset;
    await Promise.all([d.companies[0].cf, d.professionals[0].cf, d.unknown.cf11[0], d.unknown.cf16[1]].map((c) => rig.lookup(c)));
    rig.standin.revokeTokens();
    await rig.lookup(d.companies[1].cf);
    assert.deepEqual(
      new Set(rig.calls().map((c) => c.replace(/\d+$/, 'ID'))),
      new Set(['POST /authentication', 'POST /richiestaElencoPec', 'GET /getElencoPec/ID']),
    );

    // Our own reading of the string bodies the spec cannot look inside.
    for (const r of rig.standin.received.filter((x) => x.path.endsWith('/richiestaElencoPec'))) {
      const body = JSON.parse(r.body);
      assert.deepEqual(Object.keys(body).sort(), ['dataOraRichiesta', 'elencoCf']);
      assert.match(body.dataOraRichiesta, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(body.elencoCf.every((x: { cf: unknown }) => typeof x.cf === 'string' && Object.keys(x).length === 1));
    }
    for (const r of rig.standin.received.filter((x) => x.path.endsWith('/authentication'))) {
      assert.match(r.body, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS, unquoted');
    }

    const spec = await loadSpec(SPEC);
    for (const r of rig.standin.received) assert.deepEqual(spec.request(asSpecSees(r), INIPEC_BASE_PATH), [], `${r.method} ${r.path}`);
  });

  test('every kind of answer the stand-in gives conforms', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 1 } });
    const base = rig.standin.baseUrl;
    const assertion = createClientAssertion({
      privateKeyFile: TEST_KEYS.clientKeyFile,
      certificateFile: TEST_KEYS.clientCertFile,
      clientId: INIPEC_STANDIN_CLIENT_ID,
      audience: base,
      scope: 'pec-pa',
    });
    const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
      const res = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}client_id=${INIPEC_STANDIN_CLIENT_ID}`, { method, ...init });
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
    };
    const answers: Array<{ method: string; path: string; status: number; body: unknown }> = [];

    const refusedAuth = await call('POST', '/authentication', { headers: { 'content-type': 'application/json' }, body: 'a.b.c' });
    answers.push({ method: 'POST', path: '/authentication', status: 401, body: refusedAuth.json() });
    const auth = await call('POST', '/authentication', { headers: { 'content-type': 'application/json' }, body: await assertion.sign(rig.clock.now()) });
    assert.equal(auth.status, 200);
    answers.push({ method: 'POST', path: '/authentication', status: 200, body: auth.text });

    const headers = { authorization: `Bearer ${auth.text}`, scope: 'pec-pa', 'content-type': 'application/json' };
    const codes = [rig.dataset.companies[0].cf, rig.dataset.professionals[0].cf, rig.dataset.unknown.cf11[0]];
    const requested = await call('POST', '/richiestaElencoPec', {
      headers,
      body: JSON.stringify({ dataOraRichiesta: '2026-11-28T09:00:00Z', elencoCf: codes.map((cf) => ({ cf })) }),
    });
    assert.equal(requested.status, 200);
    answers.push({ method: 'POST', path: '/richiestaElencoPec', status: 200, body: requested.json() });
    answers.push({ method: 'POST', path: '/richiestaElencoPec', status: 401, body: (await call('POST', '/richiestaElencoPec', { body: '{}' })).json() });

    const id = String(requested.json().identificativoRichiesta);
    const inProgress = (await call('GET', `/getElencoPec/${id}`, { headers })).json();
    assert.equal(inProgress.code, 'WSPA_ERR_05');
    assert.equal(inProgress.description, 'List PEC in progress');
    answers.push({ method: 'GET', path: `/getElencoPec/${id}`, status: 200, body: inProgress });
    const ready = (await call('GET', `/getElencoPec/${id}`, { headers })).json();
    assert.deepEqual(ready.elencoPec, [
      { cf: codes[0], pecImpresa: rig.dataset.companies[0].pec },
      { cf: codes[1], pecImpresa: '', pecProfessionista: rig.dataset.professionals[0].pecs.map((pec) => ({ pec })) },
      { cf: codes[2], pecImpresa: '' },
    ]);
    answers.push({ method: 'GET', path: `/getElencoPec/${id}`, status: 200, body: ready });
    answers.push({ method: 'GET', path: `/getElencoPec/${id}`, status: 401, body: (await call('GET', `/getElencoPec/${id}`)).json() });

    const spec = await loadSpec(SPEC);
    for (const a of answers) {
      assert.deepEqual(spec.response(requestFor(a.method, a.path), a.status, a.body, INIPEC_BASE_PATH), [], `${a.status} ${a.method} ${a.path}`);
    }
  });
});
