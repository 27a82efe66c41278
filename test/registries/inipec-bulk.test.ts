import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError, type RegistryAnswer } from '../../src/registries/registry.ts';
import { inipecRig, type InipecRig } from './inipec-setup.ts';

const pecs = (a: RegistryAnswer) => (a.outcome === 'found' ? a.addresses.map((x) => x.pec) : []);

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
  return error;
}

describe('INI-PEC bulk lists', () => {
  let rig: InipecRig;
  afterEach(async () => rig?.close());

  test('a company answers with pecImpresa, a professional with each pecProfessionista', async () => {
    rig = await inipecRig();
    const company = rig.dataset.companies[3];
    const professional = rig.dataset.professionals[0];
    assert.equal(professional.pecs.length, 2, 'the seeded professional 0 has two addresses');
    const [a, b] = await Promise.all([rig.lookup(company.cf), rig.lookup(professional.cf)]);
    assert.deepEqual(a.outcome === 'found' && a.addresses.map((x) => [x.pec, x.kind, x.source]), [[company.pec, 'impresa', 'inipec']]);
    assert.deepEqual(
      b.outcome === 'found' && b.addresses.map((x) => [x.pec, x.kind]),
      professional.pecs.map((pec) => [pec, 'professionista']),
    );
    assert.equal(rig.count('richiestaElencoPec'), 1, 'both codes travelled in one request');
    const body = JSON.parse(rig.standin.received.find((r) => r.path.endsWith('/richiestaElencoPec'))!.body);
    assert.deepEqual(body.elencoCf, [{ cf: company.cf }, { cf: professional.cf }]);
    assert.equal(body.dataOraRichiesta, '2026-11-28T09:00:00Z');
  });

  test('not found: a code the list leaves out, one listed with no PEC, a public body INI-PEC does not hold', async () => {
    rig = await inipecRig();
    const listedEmpty = rig.dataset.unknown.cf11[0];
    const absent = rig.dataset.unknown.cf11[1];
    const ente = rig.dataset.enti[0].cf;
    const person = rig.dataset.unknown.cf16[0];
    const answers = await Promise.all([listedEmpty, absent, ente, person].map((c) => rig.lookup(c)));
    assert.deepEqual(answers, Array(4).fill({ outcome: 'not_found' }));
  });

  test('150 concurrent lookups make 2 bulk requests (100 + 50), and each caller gets its own answer', async () => {
    rig = await inipecRig({ limits: { batchDelayMs: 50 } });
    const companies = rig.dataset.companies.slice(0, 100);
    const professionals = rig.dataset.professionals.slice(0, 40);
    const unknown = rig.dataset.unknown.cf11.slice(0, 10);
    const codes = [...companies.map((c) => c.cf), ...professionals.map((p) => p.cf), ...unknown];
    const answers = await Promise.all(codes.map((c) => rig.lookup(c)));
    const requests = rig.standin.received.filter((r) => r.path.endsWith('/richiestaElencoPec')).map((r) => JSON.parse(r.body).elencoCf.length);
    // Both wait for the one token call, then race: their arrival order is not fixed.
    assert.deepEqual(
      requests.sort((a, b) => b - a),
      [100, 50],
    );
    assert.equal(rig.count('getElencoPec'), 2 * 3, 'each request polled through two "in progress" answers');
    assert.equal(rig.count('authentication'), 1, 'one token for all');
    companies.forEach((c, i) => {
      assert.deepEqual(pecs(answers[i]), [c.pec]);
    });
    professionals.forEach((p, i) => {
      assert.deepEqual(pecs(answers[100 + i]), p.pecs);
    });
    assert.ok(answers.slice(140).every((a) => a.outcome === 'not_found'));
  });

  test('the same code asked twice at once travels once', async () => {
    rig = await inipecRig();
    const cf = rig.dataset.companies[0].cf;
    const [a, b] = await Promise.all([rig.lookup(cf), rig.lookup(cf)]);
    assert.deepEqual(a, b);
    assert.deepEqual(JSON.parse(rig.standin.received.find((r) => r.path.endsWith('/richiestaElencoPec'))!.body).elencoCf, [{ cf }]);
  });

  test('polling goes on through WSPA_ERR_05 until the list is ready', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 4 } });
    assert.equal((await rig.lookup(rig.dataset.companies[0].cf)).outcome, 'found');
    assert.deepEqual(rig.calls().slice(1), ['POST /richiestaElencoPec', ...Array(5).fill('GET /getElencoPec/123456789')]);
  });

  test('still in progress after maxPolls: transient; the retry follows the same request instead of asking again', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 10 }, options: { maxPolls: 3 } });
    const cf = rig.dataset.companies[0].cf;
    const error = await rejection(rig.lookup(cf));
    assert.equal(error.transient, true);
    assert.equal(error.code, 'still_in_progress');
    assert.equal(rig.count('getElencoPec'), 3);
    rig.standin.setInProgressPolls(0);
    assert.equal((await rig.lookup(cf)).outcome, 'found');
    assert.equal(rig.count('richiestaElencoPec'), 1, 'the request id was remembered');
    assert.equal(rig.count('getElencoPec'), 4);
  });

  test('a request unfinished for longer than abandonAfterMinutes is given up: its codes are asked again', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 10 }, options: { maxPolls: 1, abandonAfterMinutes: 60 } });
    const cf = rig.dataset.companies[0].cf;
    await rejection(rig.lookup(cf));
    rig.clock.advance(61 * 60_000);
    rig.standin.setInProgressPolls(0);
    assert.equal((await rig.lookup(cf)).outcome, 'found');
    assert.equal(rig.count('richiestaElencoPec'), 2);
  });

  test('another InfoCamere error code while polling: transient, and the codes are asked afresh', async () => {
    rig = await inipecRig();
    const cf = rig.dataset.companies[0].cf;
    rig.standin.setPollError('WSPA_ERR_99');
    const error = await rejection(rig.lookup(cf));
    assert.equal(error.transient, true);
    assert.equal(error.code, 'WSPA_ERR_99');
    assert.equal((await rig.lookup(cf)).outcome, 'found');
    assert.equal(rig.count('richiestaElencoPec'), 2, 'a failed request is not followed again');
  });

  test('more codes than InfoCamere accepts in one request: HTTP 400, a permanent error', async () => {
    rig = await inipecRig({ standin: { maxCodes: 3 } });
    const results = await Promise.allSettled(rig.dataset.companies.slice(0, 4).map((c) => rig.lookup(c.cf)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof RegistryError);
      assert.equal(r.reason.transient, false);
      assert.equal(r.reason.code, '400');
    }
  });

  test('a caller that gives up stops waiting; the others still get their answers', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 3 } });
    const controller = new AbortController();
    const [a, b] = rig.dataset.companies;
    const gone = rig.lookup(a.cf, controller.signal);
    const stays = rig.lookup(b.cf);
    controller.abort(new Error('scaduto'));
    await assert.rejects(gone, /scaduto/);
    assert.equal((await stays).outcome, 'found');
  });
});
