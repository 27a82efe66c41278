import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError, type RegistryAnswer } from '../../src/registries/registry.ts';
import { inadCodes, inadFixture, query, type InadFixture } from './inad-fixture.ts';
import { assertInadConformance } from './inad-conformance.ts';

describe('inad: bulk extraction (listDigitalAddress)', () => {
  let f: InadFixture;
  afterEach(async () => f?.close());
  const lookupAll = (codes: string[], reference: string | null = 'pratica-massiva') =>
    Promise.all(codes.map((code) => f.client.lookup(query(code, reference), AbortSignal.timeout(10_000))));

  test('50 concurrent lookups go in one list: 202, state 200 then 303, one response', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 20 } });
    const c = inadCodes(f.dataset);
    const known = c.activePersons.slice(0, 35).map((p) => p.cf);
    const codes = [...known, c.professional.cf, c.ceased.cf, c.announced.cf, ...c.unknown.slice(0, 12)];
    assert.equal(codes.length, 50);
    const answers = await lookupAll(codes);

    assert.equal(f.sent('list').length, 1, 'one listDigitalAddress');
    assert.equal(f.sent('extract').length, 0, 'no single extractions');
    const body = JSON.parse(f.sent('list')[0].body);
    assert.deepEqual([...body.codiciFiscali].sort(), [...codes].sort());
    assert.equal(body.praticalReference, 'pratica-massiva', "the spec's spelling");
    assert.equal(f.sent('state').length, 3, 'PRESA_IN_CARICO, IN_ELABORAZIONE, then DISPONIBILE');
    assert.equal(f.sent('response').length, 1);

    const byCode = new Map(codes.map((code, i) => [code, answers[i]]));
    for (const cf of known) assert.equal(pecsOf(byCode.get(cf)!)[0], f.dataset.persons.find((p) => p.cf === cf)!.pec);
    assert.deepEqual(pecsOf(byCode.get(c.professional.cf)!), c.professional.pecs);
    const professional = byCode.get(c.professional.cf)!;
    assert.equal(professional.outcome === 'found' && professional.addresses[0].kind, 'professionista');
    assert.deepEqual(byCode.get(c.ceased.cf), { outcome: 'not_found' }, 'ceased: dropped');
    assert.equal(pecsOf(byCode.get(c.announced.cf)!)[0], c.announced.pec);
    for (const cf of c.unknown.slice(0, 12)) assert.deepEqual(byCode.get(cf), { outcome: 'not_found' }, 'listed with empty data');

    await assertInadConformance(f.standin);
  });

  test('the id from the 202 is the one polled and fetched', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 20 } });
    await lookupAll(
      inadCodes(f.dataset)
        .activePersons.slice(0, 10)
        .map((p) => p.cf),
    );
    const ids = new Set(f.sent('state').map((r) => r.path.split('/').pop()));
    assert.equal(ids.size, 1, 'the id from the 202 is polled');
    assert.equal(f.sent('response')[0].path.split('/').pop(), [...ids][0]);
  });

  test('fewer codes than bulkThreshold are asked one by one', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 20 }, options: { bulkThreshold: 10 } });
    const codes = inadCodes(f.dataset)
      .activePersons.slice(0, 9)
      .map((p) => p.cf);
    const answers = await lookupAll(codes);
    assert.ok(answers.every((a) => a.outcome === 'found'));
    assert.equal(f.sent('list').length, 0);
    assert.equal(f.sent('extract').length, 9);
  });

  test('a list carries one practicalReference: codes are grouped by it', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 20 }, options: { bulkThreshold: 10 } });
    const people = inadCodes(f.dataset).activePersons;
    const a = people.slice(0, 12).map((p) => p.cf);
    const b = people.slice(12, 15).map((p) => p.cf);
    const answers = await Promise.all([lookupAll(a, 'pratica A'), lookupAll(b, 'pratica B')]);
    assert.ok(answers.flat().every((x) => x.outcome === 'found'));
    assert.deepEqual(f.standin.listReferences(), ['pratica A']);
    assert.equal(f.sent('list').length, 1);
    assert.deepEqual(
      f.sent('extract').map((r) => r.query.get('practicalReference')),
      ['pratica B', 'pratica B', 'pratica B'],
    );
  });

  test('a list still in progress after bulkMaxPolls fails every lookup with a transient error', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 20 }, options: { bulkMaxPolls: 2 }, standin: { readyAfterPolls: 100 } });
    const results = await Promise.allSettled(
      inadCodes(f.dataset)
        .activePersons.slice(0, 10)
        .map((p) => f.client.lookup(query(p.cf), AbortSignal.timeout(10_000))),
    );
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const error = (r as PromiseRejectedResult).reason;
      assert.ok(error instanceof RegistryError);
      assert.equal(error.transient, true);
      assert.equal(error.code, 'bulk_pending');
    }
    assert.equal(f.sent('state').length, 2);
    assert.equal(f.sent('response').length, 0);
  });

  test('a failing list submission (503) fails its lookups transiently', async () => {
    f = await inadFixture({ limits: { batchDelayMs: 20 } });
    const people = inadCodes(f.dataset).activePersons;
    await f.client.lookup(query(people[0].cf), AbortSignal.timeout(5000)); // a voucher first
    f.standin.setFault({ mode: '503', count: 1 });
    const results = await Promise.allSettled(people.slice(1, 11).map((p) => f.client.lookup(query(p.cf), AbortSignal.timeout(10_000))));
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof RegistryError && r.reason.transient));
  });
});

function pecsOf(answer: RegistryAnswer): string[] {
  return answer.outcome === 'found' ? answer.addresses.map((a) => a.pec) : [];
}
