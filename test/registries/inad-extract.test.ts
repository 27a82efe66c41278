import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../src/registries/registry.ts';
import { inadCodes, inadFixture, query, START, type InadFixture } from './inad-fixture.ts';
import { assertInadConformance } from './inad-conformance.ts';

const DAY = 86_400_000;

describe('inad: single extraction (GET /extract)', () => {
  let f: InadFixture;
  afterEach(async () => f?.close());
  const lookup = (code: string, reference: string | null = 'pratica-42') => f.client.lookup(query(code, reference), AbortSignal.timeout(5000));

  test("a person's domicile is found, with since as validFrom", async () => {
    f = await inadFixture();
    const { person } = inadCodes(f.dataset);
    const answer = await lookup(person.cf);
    assert.equal(answer.outcome, 'found');
    assert.equal(answer.outcome === 'found' && answer.addresses.length, 1);
    const [address] = answer.outcome === 'found' ? answer.addresses : [];
    assert.equal(address.pec, person.pec);
    assert.equal(address.kind, 'persona');
    assert.equal(address.source, 'inad');
    assert.equal(address.profession, null);
    assert.equal(address.validUntil, null);
    assert.ok(typeof address.validFrom === 'number' && address.validFrom >= Date.UTC(2023, 6, 6));
    await assertInadConformance(f.standin);
  });

  test("a professional's addresses carry the profession (practicedProfession)", async () => {
    f = await inadFixture();
    const { professional } = inadCodes(f.dataset);
    const answer = await lookup(professional.cf);
    assert.equal(answer.outcome, 'found');
    const addresses = answer.outcome === 'found' ? answer.addresses : [];
    assert.deepEqual(
      addresses.map((a) => a.pec),
      professional.pecs,
    );
    assert.ok(professional.pecs.length === 2, 'the first professional has two addresses');
    for (const a of addresses) {
      assert.equal(a.kind, 'professionista');
      assert.equal(a.profession, professional.profession);
      assert.equal(a.label, professional.profession);
    }
    await assertInadConformance(f.standin);
  });

  test('a domicile whose cessation is already effective is not answered as current', async () => {
    f = await inadFixture();
    const { ceased } = inadCodes(f.dataset);
    assert.deepEqual(await lookup(ceased.cf), { outcome: 'not_found' });
    const [extract] = f.sent('extract');
    assert.ok(extract, 'INAD was asked: it holds the code, with usageInfo in the past');
    await assertInadConformance(f.standin);
  });

  test('a cessation announced for later keeps the domicile, with validUntil', async () => {
    f = await inadFixture();
    const { announced } = inadCodes(f.dataset);
    const answer = await lookup(announced.cf);
    assert.equal(answer.outcome, 'found');
    const [address] = answer.outcome === 'found' ? answer.addresses : [];
    assert.equal(address.pec, announced.pec);
    assert.equal(address.validUntil, Math.floor((START + 60 * DAY) / 1000) * 1000);
    // Past that date it is dropped.
    f.clock.advance(61 * DAY);
    assert.deepEqual(await lookup(announced.cf), { outcome: 'not_found' });
  });

  test('a code INAD does not hold (404 "CF non trovato") is not found', async () => {
    f = await inadFixture();
    assert.deepEqual(await lookup(f.dataset.unknown.cf16[0]), { outcome: 'not_found' });
    assert.deepEqual(await lookup(f.dataset.companies[0].cf), { outcome: 'not_found' }, 'an 11-digit code INAD does not hold');
    await assertInadConformance(f.standin);
  });

  test("practicalReference: the request's (or the account's, resolved by the worker) is sent", async () => {
    f = await inadFixture({ options: { defaultPracticalReference: 'riferimento di riserva' } });
    const { person } = inadCodes(f.dataset);
    await lookup(person.cf, 'Prot. 123/2026 recupero crediti');
    const [extract] = f.sent('extract');
    assert.equal(extract.query.get('practicalReference'), 'Prot. 123/2026 recupero crediti');
    assert.equal(extract.path.endsWith(`/extract/${person.cf}`), true);
  });

  test("practicalReference: without one in the request, the source's defaultPracticalReference", async () => {
    f = await inadFixture({ options: { defaultPracticalReference: 'riferimento di riserva' } });
    await lookup(inadCodes(f.dataset).person.cf, null);
    assert.equal(f.sent('extract')[0].query.get('practicalReference'), 'riferimento di riserva');
  });

  test('practicalReference: none at all is a permanent error that says so, and INAD is not asked', async () => {
    f = await inadFixture();
    const error = await lookup(inadCodes(f.dataset).person.cf, null).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryError);
    assert.equal(error.transient, false);
    assert.equal(error.code, 'reference_missing');
    assert.match(error.message, /practicalReference/);
    assert.equal(f.standin.received.length, 0);
  });

  test('a code INAD refuses (400) is a permanent error', async () => {
    f = await inadFixture();
    const error = await f.client.lookup({ requestId: 'x', code: 'NOTACODE00000000', kind: 'cf16', reference: 'pratica' }, AbortSignal.timeout(5000)).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryError);
    assert.equal(error.transient, false);
    assert.equal(error.code, '400');
    assert.match(error.message, /Codice fiscale non valido/);
  });
});
