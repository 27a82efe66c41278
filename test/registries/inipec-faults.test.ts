import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../src/registries/registry.ts';
import type { FaultMode } from '../../src/standins/standin-server.ts';
import { inipecRig, type InipecRig } from './inipec-setup.ts';
import { waitFor } from '../helpers/wait-for.ts';

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
  return error;
}

/** Every fault the stand-in framework can inject is a passing trouble of the registry. */
const TRANSIENT_FAULTS: FaultMode[] = ['429', '500', '503', 'reset', 'garbage', 'truncate'];

describe('INI-PEC faults', () => {
  let rig: InipecRig;
  afterEach(async () => rig?.close());

  test('each fault on richiestaElencoPec is transient, and the next lookup works again', async () => {
    rig = await inipecRig();
    const codes = rig.dataset.companies.map((c) => c.cf);
    await rig.lookup(codes[0]);
    for (const [i, mode] of TRANSIENT_FAULTS.entries()) {
      const before = rig.count('richiestaElencoPec');
      rig.standin.setFault({ mode, count: 1 });
      const error = await rejection(rig.lookup(codes[i + 1]));
      assert.equal(error.transient, true, `${mode}: ${error.message}`);
      assert.equal(rig.count('richiestaElencoPec'), before + 1, `${mode} hit the request`);
      assert.equal((await rig.lookup(codes[i + 1])).outcome, 'found', `after ${mode}`);
    }
  });

  test('a fault on /authentication is transient too; nothing is cached from it', async () => {
    rig = await inipecRig();
    rig.standin.setFault({ mode: '503', count: 1 });
    const error = await rejection(rig.lookup(rig.dataset.companies[0].cf));
    assert.equal(error.transient, true);
    assert.deepEqual(rig.calls(), ['POST /authentication']);
    assert.equal((await rig.lookup(rig.dataset.companies[0].cf)).outcome, 'found');
    assert.equal(rig.count('authentication'), 2);
  });

  test('a 503 while polling is transient; the retry follows the same request', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 10 }, options: { maxPolls: 1 } });
    const cf = rig.dataset.companies[0].cf;
    assert.equal((await rejection(rig.lookup(cf))).code, 'still_in_progress');
    rig.standin.setFault({ mode: '503', count: 1 });
    const error = await rejection(rig.lookup(cf));
    assert.equal(error.transient, true);
    assert.equal(error.code, '503');
    rig.standin.setInProgressPolls(0);
    assert.equal((await rig.lookup(cf)).outcome, 'found');
    assert.equal(rig.count('richiestaElencoPec'), 1);
  });

  test('a registry that does not answer: a transient timeout after readTimeoutMs', async () => {
    rig = await inipecRig({ limits: { readTimeoutMs: 200 } });
    await rig.lookup(rig.dataset.companies[0].cf);
    rig.standin.setFault({ mode: 'hang', count: 1 });
    const error = await rejection(rig.lookup(rig.dataset.companies[1].cf));
    assert.equal(error.transient, true);
    assert.match(error.message, /tempo scaduto/);
    // undici checks its header timeout on a coarse (~0.5 s) tick: slow must be well past it.
    rig.standin.setFault({ mode: 'slow', count: 1, delayMs: 4_000 });
    assert.equal((await rejection(rig.lookup(rig.dataset.companies[1].cf))).transient, true, 'slower than the read timeout');
    assert.equal((await rig.lookup(rig.dataset.companies[1].cf)).outcome, 'found');
  });

  test('closing the client ends its polling with a transient error', async () => {
    rig = await inipecRig({ standin: { inProgressPolls: 1_000 }, options: { pollIntervalMs: 50 } });
    const waiting = rig.lookup(rig.dataset.companies[0].cf);
    await waitFor(
      () => rig.count('getElencoPec'),
      (n) => n > 0,
      'the first getElencoPec poll',
      { intervalMs: 10 },
    );
    await rig.client.close?.();
    assert.equal((await rejection(waiting)).transient, true);
  });
});
