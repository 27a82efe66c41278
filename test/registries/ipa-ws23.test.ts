import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { generateDataset } from '../../src/standins/dataset.ts';
import { startIpaWs23Standin, STANDIN_IPA_AUTH_ID, WS23_PATH, type IpaWs23Handle } from '../../src/standins/ipa/ws23-standin.ts';
import { createWs23Client } from '../../src/registries/ipa-ws23/client.ts';
import { mapWs23Body } from '../../src/registries/ipa-ws23/mapping.ts';
import { createHttpClient, type HttpClient } from '../../src/registries/http-client.ts';
import { SourceLimitsSchema } from '../../src/registries/source-limits.ts';
import { RegistryError, type RegistryAnswer } from '../../src/registries/registry.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { loadSpec } from '../helpers/spec-conformance.ts';

const dataset = generateDataset();
const [ENTE, TWO_PEC] = [dataset.enti[1], dataset.enti[0]];
const UNKNOWN = dataset.unknown.cf11[0];

let spec: ReturnType<typeof loadSpec> | null = null;

/**
 * Every request the client sent conforms to ipa-ws23.yaml, and so does the stand-in's answer
 * to it (each is sent again as it was). The spec's paths are absolute from the host (its
 * `servers: /ws` would make /ws/ws/...), so nothing is stripped before matching.
 */
async function assertConformance(standin: IpaWs23Handle): Promise<void> {
  const checker = await (spec ??= loadSpec('ipa-ws23.yaml'));
  const requests = standin.received.filter((r) => r.path === WS23_PATH);
  assert.ok(requests.length > 0, 'the client called WS23');
  assert.deepEqual(
    requests.flatMap((r) => checker.request(r, '')),
    [],
    'requests conform to ipa-ws23.yaml',
  );
  const problems: string[] = [];
  for (const r of [...requests]) {
    const res = await fetch(`${standin.url}${r.url}`, { method: 'POST', headers: { 'content-type': String(r.headers['content-type']) }, body: r.body });
    problems.push(...checker.response(r, res.status, await res.json(), ''));
  }
  assert.deepEqual(problems, [], 'the stand-in answers conform to ipa-ws23.yaml');
}

describe('ipa-ws23 client against the WS23 stand-in', () => {
  let standin: IpaWs23Handle;
  let http: HttpClient;
  before(async () => {
    standin = await startIpaWs23Standin({ dataset });
  });
  after(async () => {
    await standin.close();
  });
  beforeEach(() => {
    standin.received.length = 0;
    standin.setFault({ mode: 'none' });
    http = createHttpClient('ipa-ws23', SourceLimitsSchema.parse({ readTimeoutMs: 10_000, connectTimeoutMs: 10_000 }));
  });
  afterEach(async () => {
    await http.close();
  });

  const client = (authId = STANDIN_IPA_AUTH_ID) => createWs23Client('ipa-ws23', { baseUrl: `${standin.url}/`, authId, notFoundCodes: [23] }, http);
  const ask = (code: string, authId?: string): Promise<RegistryAnswer> =>
    client(authId).lookup({ requestId: 'r1', code, kind: 'cf11', reference: null }, AbortSignal.timeout(15_000));
  async function refusal(code: string, authId?: string): Promise<RegistryError> {
    const error = await ask(code, authId).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    return error;
  }

  test('found: every domicilio digitale of the ente, as an ente named des_amm; the request is a form POST', async () => {
    const answer = await ask(TWO_PEC.cf);
    assert.equal(answer.outcome, 'found');
    assert.deepEqual(
      answer.outcome === 'found' && answer.addresses.map((a) => [a.pec, a.kind, a.source, a.label]),
      TWO_PEC.pecs.map((p) => [p, 'ente', 'ipa-ws23', TWO_PEC.name]),
    );
    const [sent] = standin.received;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, WS23_PATH, 'a trailing slash in baseUrl is not doubled');
    assert.match(String(sent.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(sent.body)), { AUTH_ID: STANDIN_IPA_AUTH_ID, CF: TWO_PEC.cf });
    await assertConformance(standin);
  });

  test('not found: cod_err 0 with no items', async () => {
    assert.deepEqual(await ask(UNKNOWN), { outcome: 'not_found' });
    await assertConformance(standin);
  });

  test('a "not in archive" code is not found', async () => {
    standin.setResult(ENTE.cf, { cod_err: 23, desc_err: 'non presente in archivio' });
    try {
      assert.deepEqual(await ask(ENTE.cf), { outcome: 'not_found' });
    } finally {
      standin.setResult(ENTE.cf, null);
    }
  });

  test('cod_err 1/2/3 (CF missing, empty, invalid) is permanent', async () => {
    for (const codErr of [1, 2, 3]) {
      standin.setResult(ENTE.cf, { cod_err: codErr, desc_err: 'CF non valido' });
      const error = await refusal(ENTE.cf);
      assert.equal(error.transient, false);
      assert.equal(error.code, `ipa_${codErr}`);
      assert.match(error.message, /codice fiscale/);
    }
    standin.setResult(ENTE.cf, null);
    await assertConformance(standin);
  });

  test('a wrong AUTH_ID (902) is permanent and says what to fix; 900/901 likewise', async () => {
    const error = await refusal(ENTE.cf, 'not-the-auth-id');
    assert.equal(error.transient, false);
    assert.equal(error.code, 'ipa_902');
    assert.match(error.message, /AUTH_ID.*authId.*CERCAPEC_IPA_AUTH_ID/);
    assert.ok(!error.message.includes('not-the-auth-id'), 'the secret is not repeated in the message');
    for (const codErr of [900, 901]) {
      standin.setResult(ENTE.cf, { cod_err: codErr, desc_err: 'AUTH_ID' });
      assert.equal((await refusal(ENTE.cf)).transient, false);
    }
    standin.setResult(ENTE.cf, null);
    await assertConformance(standin);
  });

  test('an unknown cod_err is transient', async () => {
    standin.setResult(ENTE.cf, { cod_err: 999, desc_err: 'errore interno' });
    const error = await refusal(ENTE.cf);
    standin.setResult(ENTE.cf, null);
    assert.equal(error.transient, true);
    assert.match(error.message, /cod_err 999: errore interno/);
  });

  test('faults: 5xx, 429, a malformed body and a reset are transient', async () => {
    for (const mode of ['500', '503', '429', 'garbage', 'reset'] as const) {
      standin.setFault({ mode, count: 1 });
      const error = await refusal(ENTE.cf);
      assert.equal(error.transient, true, mode);
    }
    assert.equal((await ask(ENTE.cf)).outcome, 'found', 'answers again once the fault is over');
  });

  test('a hanging service times out, transiently', async () => {
    standin.setFault({ mode: 'hang', count: 1 });
    const impatient = createHttpClient('ipa-ws23', SourceLimitsSchema.parse({ readTimeoutMs: 300 }));
    try {
      const error = await createWs23Client('ipa-ws23', { baseUrl: standin.url, authId: STANDIN_IPA_AUTH_ID, notFoundCodes: [23] }, impatient)
        .lookup({ requestId: 'r', code: ENTE.cf, kind: 'cf11', reference: null }, AbortSignal.timeout(10_000))
        .catch((e: unknown) => e);
      assert.ok(error instanceof RegistryError);
      assert.equal(error.transient, true);
      assert.match(error.message, /tempo scaduto/);
    } finally {
      await impatient.close();
    }
  });

  test('a 404 (wrong baseUrl) is permanent', async () => {
    const wrong = createWs23Client('ipa-ws23', { baseUrl: `${standin.url}/public-ws`, authId: STANDIN_IPA_AUTH_ID, notFoundCodes: [23] }, http);
    const error = await wrong.lookup({ requestId: 'r', code: ENTE.cf, kind: 'cf11', reference: null }, AbortSignal.timeout(15_000)).catch((e: unknown) => e);
    assert.ok(error instanceof RegistryError && !error.transient && error.code === '404');
  });
});

describe('ipa-ws23 mapping of bodies the stand-in never sends', () => {
  const map = (body: unknown) => {
    try {
      return mapWs23Body('ipa-ws23', body, [23]);
    } catch (error) {
      return error as RegistryError;
    }
  };
  test('malformed bodies are transient; empty or unusable data is not found; PEC before SERCQ, duplicates dropped', () => {
    for (const body of [null, [], {}, { result: null }, { result: {} }, { result: { cod_err: 'x' } }, { result: { cod_err: 0 }, data: 'x' }]) {
      const r = map(body);
      assert.ok(r instanceof RegistryError && r.transient, JSON.stringify(body));
    }
    assert.deepEqual(map({ result: { cod_err: 0, num_items: 0 }, data: null }), { outcome: 'not_found' });
    assert.deepEqual(map({ result: { cod_err: '0' }, data: [{ domicilio_digitale: 'non una pec', tipo: 'Pec' }] }), { outcome: 'not_found' });
    const r = map({
      result: { cod_err: 0, num_items: 3 },
      data: [
        { domicilio_digitale: 'ente@sercq.example', tipo: 'Sercq', des_amm: 'Ente' },
        { domicilio_digitale: 'ente@PEC.example', tipo: 'Pec', des_amm: ' Ente ' },
        { domicilio_digitale: 'ente@pec.example', tipo: 'Pec', des_amm: 'Ente' },
      ],
    });
    assert.ok(!(r instanceof RegistryError) && r.outcome === 'found');
    assert.deepEqual(
      r.addresses.map((a) => [a.pec, a.label]),
      [
        ['ente@pec.example', 'Ente'],
        ['ente@sercq.example', 'Ente'],
      ],
    );
  });
});

await eachDialect(describe, 'ipa-ws23 through the whole service', (dialect) => {
  let standin: IpaWs23Handle;
  let h: Harness;
  beforeEach(async () => {
    standin = await startIpaWs23Standin({ dataset });
    h = await createHarness(
      dialect,
      {},
      {
        registriesFile: {
          routing: { cf11: ['directory', 'ipa-ws23'], cf16: ['directory'] },
          sources: { 'ipa-ws23': { baseUrl: standin.url, authId: STANDIN_IPA_AUTH_ID } },
        },
        sleep: async () => {},
      },
    );
  });
  afterEach(async () => {
    await h.close();
    await standin.close();
  });

  async function lookup(code: string) {
    const { id: accountId } = await h.account();
    const account = (await getAccount(h.store, accountId))!;
    const { id } = await submitLookup(h.services.lookups, { account, code, via: 'text' });
    h.worker.start();
    const row = await h.store.db.selectFrom('requests').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    if (row.status === 'queued' || row.status === 'running') await h.services.notifier.waitForAnswer(id, 10_000);
    return h.store.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  test('a code is answered by ipa-ws23; the same code again comes from the answer cache', async () => {
    const first = await lookup(ENTE.cf);
    assert.equal(first.status, 'found');
    assert.equal(first.source, 'ipa-ws23');
    assert.equal(first.pec, ENTE.pecs[0]);
    assert.equal(standin.received.length, 1);
    const second = await lookup(ENTE.cf);
    assert.equal(second.status, 'found');
    assert.equal(second.pec, ENTE.pecs[0]);
    assert.equal(standin.received.length, 1, 'the second lookup did not call IPA');
  });
});
