import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { inadSource } from '../../src/registries/inad/definition.ts';
import { generateDataset } from '../../src/standins/dataset.ts';
import { inadStandinSection } from '../../src/standins/inad/definition.ts';
import { startInadStandin, type InadStandinHandle } from '../../src/standins/inad/inad-standin.ts';
import { cf16CheckChar, validateTaxId } from '../../src/taxid/index.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { inadCodes, START } from '../registries/inad-fixture.ts';

/**
 * Issue 16: with INAD configured and the account's purpose set, GET /v1/verifications also asks
 * INAD's /verify/{cf} (over real HTTP to the stand-in) and its answer is one evidence item.
 */

const DAY = 86_400_000;

function omocodic(code: string): string {
  const first15 = code.slice(0, 14) + 'LMNPQRSTUV'[Number(code[14])];
  const result = first15 + cf16CheckChar(first15);
  assert.ok(validateTaxId(result).valid, result);
  return result;
}

await eachDialect(describe, 'verifications through INAD /verify', (dialect) => {
  let h: Harness | undefined;
  let standin: InadStandinHandle | undefined;
  afterEach(async () => {
    await h?.close();
    await standin?.close();
    h = undefined;
  });

  async function start() {
    const dataset = generateDataset();
    standin = await startInadStandin({ dataset, clock: { now: () => h?.clock.now() ?? START } });
    h = await createHarness(
      dialect,
      {},
      {
        sourceDefinitions: [inadSource],
        registriesFile: {
          routing: { cf16: ['directory', 'inad'], cf11: ['directory'] },
          sources: { inad: { ...inadStandinSection(standin), defaultPracticalReference: null, limits: { batchDelayMs: 5, retries: 0 } } },
        },
        sleep: async () => {},
      },
    );
    return dataset;
  }
  const verifies = () => standin!.received.filter((r) => r.path.includes('/verify/'));
  const verify = async (key: string, code: string, pec: string, at: number) => {
    const res = await h!.app.inject({
      method: 'GET',
      url: `/v1/verifications?code=${code}&pec=${encodeURIComponent(pec)}&at=${new Date(at).toISOString()}`,
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: res.statusCode, body: res.json() as any };
  };

  test('INAD decides when the history is silent: match, another address, before the domicile, after a cessation', async () => {
    const dataset = await start();
    const { key } = await h!.account({ defaultReference: 'Prot. 9/2026 verifiche' });
    const { person, ceased } = inadCodes(dataset);
    const now = h!.clock.now();

    const yes = await verify(key, person.cf, person.pec.toUpperCase(), now);
    assert.equal(yes.status, 200);
    assert.equal(yes.body.outcome, 'match');
    assert.deepEqual(
      yes.body.evidence.map((e: any) => [e.source, e.pec, e.matches, e.error]),
      [['inad', person.pec.toUpperCase(), true, undefined]],
    );
    const sent = verifies()[0];
    assert.equal(sent.path.endsWith(`/verify/${person.cf}`), true);
    assert.equal(sent.query.get('digital_address'), person.pec.toUpperCase());
    assert.equal(sent.query.get('since'), new Date(now).toISOString().slice(0, 10));
    assert.equal(sent.query.get('practicalReference'), 'Prot. 9/2026 verifiche', "the account's purpose");
    assert.match(String(sent.headers.authorization), /^Bearer ./, 'with the PDND voucher');

    assert.equal((await verify(key, person.cf, 'altro@pec.example', now)).body.outcome, 'no_match');
    assert.equal((await verify(key, person.cf, person.pec, Date.UTC(2020, 0, 1))).body.outcome, 'no_match', 'before INAD held it');
    assert.equal((await verify(key, ceased.cf, ceased.pec, now)).body.outcome, 'no_match', 'ceased 30 days ago');
    assert.equal((await verify(key, ceased.cf, ceased.pec, now - 60 * DAY)).body.outcome, 'match', 'still the domicile 60 days ago');
    const absent = await verify(key, dataset.companies[0].cf, 'x@pec.example', now);
    assert.equal(absent.body.evidence.length, 0, 'a cf11 is not asked of INAD /verify');
    const stranger = person.cf.slice(0, 12) + '999';
    const unknownToInad = stranger + cf16CheckChar(stranger);
    assert.ok(!dataset.persons.some((p) => p.cf === unknownToInad) && !dataset.professionals.some((p) => p.cf === unknownToInad));
    const notFound = await verify(key, unknownToInad, person.pec, now);
    assert.deepEqual(
      [notFound.status, notFound.body.outcome, notFound.body.evidence[0].matches, notFound.body.evidence[0].error],
      [200, 'no_match', false, undefined],
      "INAD's 404 CF non trovato is a no",
    );
    assert.equal(verifies().length, 6);
  });

  test('an omocodic code and an INAD refusal are evidence with an error, never a 500; no purpose, no call', async () => {
    const dataset = await start();
    const { person } = inadCodes(dataset);
    const now = h!.clock.now();
    const none = await h!.account();
    const silent = await verify(none.key, person.cf, person.pec, now);
    assert.deepEqual([silent.status, silent.body.outcome, silent.body.evidence.length], [200, 'unknown', 0]);
    assert.equal(verifies().length, 0, 'an account without purpose does not call INAD');

    const { key } = await h!.account({ defaultReference: 'pratica-3' });
    const omo = await verify(key, omocodic(person.cf), person.pec, now);
    assert.equal(omo.status, 200);
    assert.equal(omo.body.outcome, 'unknown');
    assert.equal(omo.body.evidence[0].source, 'inad');
    assert.match(omo.body.evidence[0].error, /omocodici/);
    assert.equal(verifies().length, 0, 'omocodic: INAD not asked');

    standin!.suspendPurpose(true);
    const refused = await verify(key, person.cf, person.pec, now);
    assert.equal(refused.status, 200);
    assert.equal(refused.body.outcome, 'unknown');
    assert.match(refused.body.evidence[0].error, /voucher PDND/);
    assert.equal(refused.body.evidence[0].matches, false);
  });
});
