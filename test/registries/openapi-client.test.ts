import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { createHttpClient, type HttpClient } from '../../src/registries/http-client.ts';
import { openapiSource, OpenapiOptionsSchema } from '../../src/registries/openapi/definition.ts';
import { RegistryError, type LookupQuery } from '../../src/registries/registry.ts';
import type { SourceClient } from '../../src/registries/source-definition.ts';
import { SourceLimitsSchema } from '../../src/registries/source-limits.ts';
import { generateDataset } from '../../src/standins/dataset.ts';
import { openapiStandin } from '../../src/standins/openapi/definition.ts';
import { startOpenapiStandin, OPENAPI_STANDIN_TOKEN, type OpenapiStandinHandle } from '../../src/standins/openapi/openapi-standin.ts';
import { TRANSIENT_FAULTS } from '../helpers/transient-faults.ts';

const dataset = generateDataset();
const q = (code: string): LookupQuery => ({ requestId: 'r', code, kind: code.length === 16 ? 'cf16' : 'cf11', reference: null });

describe('openapi: Company API IT-pec', () => {
  let standin: OpenapiStandinHandle;
  const opened: Array<{ http: HttpClient }> = [];
  function client(options: Record<string, unknown> = {}): SourceClient {
    const limits = SourceLimitsSchema.parse({ readTimeoutMs: 300, ratePerSecond: 10_000 });
    const http = createHttpClient('openapi', limits);
    opened.push({ http });
    const parsed = OpenapiOptionsSchema.parse({ ...openapiStandin.sourceSection(standin), ...options });
    return openapiSource.create(parsed, {
      store: null as never,
      clock: new ManualClock(),
      logger: pino({ level: 'silent' }),
      limits,
      http,
      resolvePath: (p) => p,
    });
  }
  const lookup = (c: SourceClient, code: string) => c.lookup(q(code), AbortSignal.timeout(5000));
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError, String(e));
        return e;
      },
    );

  before(async () => {
    standin = await startOpenapiStandin({ dataset });
  });
  beforeEach(() => {
    standin.setFault({ mode: 'none' });
    standin.setCredit(Number.POSITIVE_INFINITY);
  });
  after(async () => {
    await Promise.all(opened.map((o) => o.http.close()));
    await standin.close();
  });

  test("a company's PEC is found (data[].pec), as impresa; the token goes as Bearer", async () => {
    const company = dataset.companies[0];
    const answer = await lookup(client(), company.cf);
    assert.deepEqual(answer, { outcome: 'found', addresses: [{ pec: company.pec, kind: 'impresa', source: 'openapi', label: null, profession: null }] });
    const sent = standin.received.at(-1)!;
    assert.equal(sent.method, 'GET');
    assert.equal(sent.path, `/IT-pec/${company.cf}`);
    assert.equal(sent.headers.authorization, `Bearer ${OPENAPI_STANDIN_TOKEN}`);
  });

  test('404 and success with empty data are not found', async () => {
    const c = client();
    assert.deepEqual(await lookup(c, dataset.unknown.cf11[0]), { outcome: 'not_found' });
    assert.deepEqual(await lookup(c, dataset.enti[0].cf), { outcome: 'not_found' }, '200 {success:true, data:[]}');
    assert.deepEqual(await lookup(c, dataset.unknown.cf16[0]), { outcome: 'not_found' });
  });

  test('a wrong token is refused: permanent', async () => {
    const error = await refusal(lookup(client({ token: 'not-the-token' }), dataset.companies[1].cf));
    assert.equal(error.transient, false);
    assert.equal(error.code, '401');
    assert.match(error.message, /token/);
  });

  test('an empty wallet (402) is permanent, with a message that says so', async () => {
    standin.setCredit(0);
    const error = await refusal(lookup(client(), dataset.companies[2].cf));
    assert.equal(error.transient, false);
    assert.equal(error.code, '402');
    assert.match(error.message, /wallet/);
  });

  for (const [mode, message] of TRANSIENT_FAULTS) {
    test(`${mode}: transient`, async () => {
      const c = client();
      standin.setFault({ mode, count: 1 });
      const error = await refusal(lookup(c, dataset.companies[3].cf));
      assert.equal(error.transient, true);
      assert.match(error.message, message);
      if (mode === 'hang') assert.match(String(error.code), /TIMEOUT/i, 'cut by readTimeoutMs');
      assert.equal((await lookup(c, dataset.companies[3].cf)).outcome, 'found', 'one request long');
    });
  }
});
