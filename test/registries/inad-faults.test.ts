import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../src/registries/registry.ts';
import { inadCodes, inadFixture, query, type InadFixture } from './inad-fixture.ts';
import { TRANSIENT_FAULTS } from '../helpers/transient-faults.ts';

describe('inad: faults of the e-service are transient', () => {
  let f: InadFixture;
  let people: string[];
  let next = 0;
  before(async () => {
    // A short read timeout so a hang is a quick timeout; no batching delay.
    f = await inadFixture({ limits: { batchDelayMs: 0, readTimeoutMs: 300 } });
    people = inadCodes(f.dataset).activePersons.map((p) => p.cf);
    // A voucher first: the faults below hit the data call, not the token call.
    await f.client.lookup(query(people[next++]), AbortSignal.timeout(5000));
  });
  after(async () => f?.close());

  for (const [mode, message] of TRANSIENT_FAULTS) {
    test(`${mode}: transient`, async () => {
      f.standin.setFault({ mode, count: 1 });
      const error = await f.client.lookup(query(people[next++]), AbortSignal.timeout(5000)).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.transient, true);
      assert.equal(error.source, 'inad');
      assert.match(error.message, message);
      // The fault was one request long: the source answers again.
      assert.equal((await f.client.lookup(query(people[next++]), AbortSignal.timeout(5000))).outcome, 'found');
    });
  }

  test('the hang was cut by readTimeoutMs, not by the caller', async () => {
    f.standin.setFault({ mode: 'hang', count: 1 });
    const error = await f.client.lookup(query(people[next++]), AbortSignal.timeout(10_000)).catch((e: unknown) => e);
    assert.ok(error instanceof RegistryError);
    assert.match(String(error.code), /TIMEOUT/i);
  });

  test('a caller that gives up stops waiting (its signal)', async () => {
    f.standin.setFault({ mode: 'slow', count: 1, delayMs: 250 });
    const controller = new AbortController();
    const pending = f.client.lookup(query(people[next++]), controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(pending, /stop/);
  });
});
