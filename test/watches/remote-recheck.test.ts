import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { generateDataset } from '../../src/standins/dataset.ts';
import { recheckRemoteSource, parseRecheckHours } from '../../src/watches/recheck-remote.ts';
import { scheduleRechecksTask } from '../../src/watches/schedule-rechecks.ts';
import { addWatches } from '../../src/watches/add-watches.ts';
import type { Registry } from '../../src/registries/registry.ts';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { scriptedSource, type ScriptedSource } from '../registries/scripted-source.ts';
import { drainWatchQueue, watchJobs } from './watch-fixture.ts';

const dataset = generateDataset();
const [A, B] = dataset.companies;
const DAY = 86_400_000;

await eachDialect(describe, 'watches: scheduled re-checks of a remote source', (dialect) => {
  let h: Harness;
  let scripted: ScriptedSource;
  let source: Registry;

  beforeEach(async () => {
    scripted = scriptedSource('remota');
    h = await createHarness(
      dialect,
      {},
      {
        registriesFile: { routing: { cf11: ['directory', 'remota'], cf16: ['directory', 'remota'] }, sources: { remota: {} } },
        sourceDefinitions: [scripted.definition],
      },
    );
    source = h.services.registries.sources.find((s) => s.id === 'remota')!;
  });
  afterEach(async () => {
    await h.close();
  });

  const run = (staleBefore: number) =>
    recheckRemoteSource(h.store, source, { after: null, chunk: 1, limit: 100, staleBefore, now: () => h.clock.now(), signal: AbortSignal.timeout(10_000) });
  const events = () => h.store.db.selectFrom('watch_events').select(['type', 'code', 'before_pec', 'after_pec', 'source']).orderBy('id').execute();

  test('stale codes are asked again; a new answer is an event, once; fresh ones are not asked', async () => {
    const { id } = await h.account();
    await addWatches(h.store, id, [A.cf, B.cf], { reference: null, now: h.clock.now() });
    scripted.answers.set(A.cf, 'found');
    const first = await run(h.clock.now());
    assert.deepEqual([first.asked, first.changes, first.done], [2, 0, true], 'the first answers are baselines');
    assert.deepEqual(await run(h.clock.now() - DAY), { ...first, asked: 0, checked: 2 }, 'answered within the interval: not asked');
    h.clock.advance(DAY);
    scripted.answers.set(A.cf, 'not_found');
    scripted.answers.set(B.cf, 'transient');
    const second = await run(h.clock.now());
    assert.deepEqual([second.asked, second.failed, second.changes], [2, 1, 1]);
    assert.deepEqual(await events(), [{ type: 'pec.removed', code: A.cf, before_pec: `remota.${A.cf}@pec.example`, after_pec: null, source: 'remota' }]);
    await run(h.clock.now());
    assert.equal((await events()).length, 1, 'the same answer again is no event');
  });

  test('the schedule queues one re-check per configured source and not a second while one waits; the worker runs it', async () => {
    const { id } = await h.account();
    await addWatches(h.store, id, [A.cf], { reference: null, now: h.clock.now() });
    const task = scheduleRechecksTask(parseRecheckHours('remota=24, inad=24'), (s) => s === 'remota');
    assert.deepEqual(
      parseRecheckHours('inad=24,inipec=168'),
      new Map([
        ['inad', 24 * 3_600_000],
        ['inipec', 168 * 3_600_000],
      ]),
    );
    assert.deepEqual(await h.store.db.transaction().execute((trx) => task.run(trx, h.clock.now())), { queued: 1 }, 'inad is not configured here');
    assert.deepEqual(await h.store.db.transaction().execute((trx) => task.run(trx, h.clock.now())), { queued: 0 });
    assert.equal(await watchJobs(h.store), 1);
    scripted.calls.length = 0;
    await drainWatchQueue(h.store, h.clock, { remoteSource: (s) => (s === 'remota' ? source : undefined) });
    assert.deepEqual(scripted.calls, [A.cf]);
  });
});
