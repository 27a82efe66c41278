import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { generateDataset } from '../../src/standins/dataset.ts';
import { startIpaCkanStandin, type IpaCkanHandle } from '../../src/standins/ipa/ckan-standin.ts';
import { IpaMirrorOptions, ipaMirrorRefresher } from '../../src/registries/ipa-mirror/definition.ts';
import type { MirrorRefresher } from '../../src/registries/ipa-mirror/refresh.ts';
import { recheckLocalSource } from '../../src/watches/recheck-local.ts';
import { setAccountWebhook } from '../../src/webhooks/account-webhook.ts';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { drainWatchQueue, watchJobs } from './watch-fixture.ts';

const dataset = generateDataset();
const WATCHED = dataset.enti.slice(0, 5);
const CHANGED = WATCHED.slice(1, 4);
const DAY = 86_400_000;

await eachDialect(describe, 'watches: IPA mirror refresh', (dialect) => {
  let h: Harness;
  let ckan: IpaCkanHandle;
  let refresher: MirrorRefresher;
  let key: string;
  let accountId: string;

  beforeEach(async () => {
    ckan = await startIpaCkanStandin({ dataset });
    h = await createHarness(dialect);
    refresher = ipaMirrorRefresher(IpaMirrorOptions.parse({ dumpUrl: ckan.dumpUrl }), {
      store: h.store,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      limits: { connectTimeoutMs: 10_000, readTimeoutMs: 10_000 },
    });
    ({ id: accountId, key } = await h.account({ priceCents: 10, initialCreditCents: 1000 }));
  });
  afterEach(async () => {
    await refresher.close();
    await h.close();
    await ckan.close();
  });

  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await h.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${key}` } });
    return { status: res.statusCode, body: res.json() };
  };
  const events = async () =>
    (await api('GET', '/v1/watches/events?limit=1000')).body.items as Array<{ type: string; code: string; before: string; after: string; source: string }>;

  test('three enti change their PEC: exactly three pec.changed, once, across a restart mid-re-check and a re-import of the same data', async () => {
    assert.equal((await refresher.refresh()).outcome, 'replaced');
    await drainWatchQueue(h.store, h.clock);
    await setAccountWebhook(h.store.db, accountId, { url: 'https://hooks.example/cercapec' }, h.clock.now());
    const added = await api('POST', '/v1/watches', { codes: WATCHED.map((e) => e.cf) });
    assert.equal(added.status, 200);
    assert.equal(added.body.added, 5);
    const before = h.clock.now();
    assert.deepEqual(await events(), [], 'a baseline is no change');

    h.clock.advance(DAY);
    const renamed = (cf: string) => `nuova.${cf}@pec.ente.example`;
    ckan.setEnti(dataset.enti.map((e) => (CHANGED.some((c) => c.cf === e.cf) ? { ...e, pecs: [renamed(e.cf)] } : e)));
    assert.equal((await refresher.refresh()).outcome, 'replaced');
    assert.equal(await watchJobs(h.store), 1, 'the refresh queued its re-check in the same transaction');
    const changedAt = h.clock.now();

    // A worker that died after its first transaction: two codes done, the job still queued.
    const partial = await recheckLocalSource(h.store, 'ipa-mirror', { after: null, chunk: 2, limit: 2, now: h.clock.now() });
    assert.equal(partial.done, false);
    h.clock.advance(1000);
    // The restart: a new worker runs the job from the start, in small slices.
    await drainWatchQueue(h.store, h.clock, { chunk: 2, perJob: 3 });

    const made = await events();
    assert.equal(made.length, 3);
    assert.deepEqual(
      made.map((e) => e.type),
      ['pec.changed', 'pec.changed', 'pec.changed'],
    );
    assert.deepEqual(made.map((e) => e.code).sort(), CHANGED.map((e) => e.cf).sort());
    for (const e of made) {
      const ente = CHANGED.find((c) => c.cf === e.code)!;
      assert.equal(e.before, ente.pecs[0]);
      assert.equal(e.after, renamed(ente.cf));
      assert.equal(e.source, 'ipa-mirror');
    }
    const deliveries = await h.store.db.selectFrom('webhook_deliveries').select(['event', 'url']).where('event', '=', 'pec.changed').execute();
    assert.equal(deliveries.length, 3, 'one signed webhook per event, to the default URL');

    // The same data again (a forced re-download) and another re-check: nothing new.
    h.clock.advance(DAY);
    assert.equal((await refresher.refresh({ force: true })).outcome, 'replaced');
    await drainWatchQueue(h.store, h.clock);
    assert.equal((await events()).length, 3);

    // Point-in-time verification of the old and the new address.
    const one = CHANGED[0];
    const verify = async (pec: string, at: number) =>
      (await api('GET', `/v1/verifications?code=${one.cf}&pec=${encodeURIComponent(pec)}&at=${new Date(at).toISOString()}`)).body;
    assert.equal((await verify(one.pecs[0], before + 3_600_000)).outcome, 'match', 'the old address at the old time');
    assert.equal((await verify(one.pecs[0], h.clock.now())).outcome, 'no_match', 'the old address now');
    assert.equal((await verify(renamed(one.cf), changedAt + 1)).outcome, 'match', 'the new address after the change');
    assert.equal((await verify(renamed(one.cf), before + 3_600_000)).outcome, 'no_match', 'the new address before the change');
    assert.equal((await verify(one.pecs[0], before - DAY)).outcome, 'unknown', 'before anything was observed');
  });
});
