import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { scriptedSource, type ScriptedSource } from './scripted-source.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { OPERATOR_QUEUE } from '../../src/lookups/enqueue-operator.ts';

const CODE = '00743110157';
const PERSON = 'RSSMRA85T10A562S';

describe('routing through the chain of sources', () => {
  let h: Harness;
  let a: ScriptedSource;
  let b: ScriptedSource;
  let c: ScriptedSource;
  afterEach(async () => h?.close());

  async function setup(file: Record<string, unknown> = {}) {
    a = scriptedSource('ipa-ws23');
    b = scriptedSource('inipec');
    c = scriptedSource('openapi');
    h = await createHarness(
      'sqlite',
      {},
      {
        sourceDefinitions: [a.definition, b.definition, c.definition],
        registriesFile: {
          routing: { cf11: ['directory', 'ipa-ws23', 'inipec', 'openapi'], cf16: ['directory', 'inipec'] },
          sources: { 'ipa-ws23': { breaker: { failureThreshold: 2, openMs: 60_000 } }, inipec: {}, openapi: {} },
          ...file,
        },
        sleep: async () => {},
      },
    );
  }
  async function submit(code = CODE, input: Parameters<Harness['account']>[0] = {}) {
    const { id: accountId, key } = await h.account(input);
    const account = (await getAccount(h.store, accountId))!;
    const { id } = await submitLookup(h.services.lookups, { account, code, via: 'text' });
    return { id, account, key };
  }
  const request = (id: string) => h.store.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = async (id: string) =>
    (await h.store.db.selectFrom('attempts').select(['source', 'outcome']).where('request_id', '=', id).orderBy('started_at').orderBy('id').execute()).map(
      (r) => `${r.source}:${r.outcome}`,
    );

  test('the first definite answer wins and later sources are not asked', async () => {
    await setup();
    b.answers.set(CODE, 'found');
    const { id } = await submit();
    h.worker.start();
    const row = await waitFor(
      () => request(id),
      (r) => r.status === 'found',
      'found',
    );
    assert.equal(row.source, 'inipec');
    assert.equal(row.pec, `inipec.${CODE}@pec.example`);
    assert.deepEqual(c.calls, []);
    assert.deepEqual(await attempts(id), ['directory:not_found', 'ipa-ws23:not_found', 'inipec:found']);
  });

  test('"not found" only when every source asked said so; routing follows the kind of code', async () => {
    await setup();
    const { id } = await submit(PERSON);
    h.worker.start();
    await waitFor(
      () => request(id),
      (r) => r.status === 'not_found',
      'not found',
    );
    assert.deepEqual(await attempts(id), ['directory:not_found', 'inipec:not_found']);
    assert.deepEqual(a.calls, [], 'ipa-ws23 is not in the cf16 chain');
  });

  test('a transient failure is never called "not found": the job waits and asks again', async () => {
    await setup();
    a.answers.set(CODE, 'transient');
    const { id } = await submit();
    h.worker.start();
    const failed = await waitFor(
      () => h.store.db.selectFrom('jobs').selectAll().where('queue', '=', 'lookup').executeTakeFirstOrThrow(),
      (j) => j.attempts >= 1 && j.status === 'queued',
      'a retry scheduled',
    );
    assert.equal((await request(id)).status, 'queued');
    assert.ok(failed.run_at > h.clock.now(), 'backed off');
    a.answers.set(CODE, 'found');
    // Past the backoff, and past the breaker its two failed tries opened (openMs 60 s).
    h.clock.advance(Math.max(failed.run_at - h.clock.now(), 60_000));
    const row = await waitFor(
      () => request(id),
      (r) => r.status === 'found',
      'found after the retry',
    );
    assert.equal(row.source, 'ipa-ws23');
  });

  test('a source that keeps failing is skipped by its breaker, and probed again later', async () => {
    await setup();
    a.otherwise = 'transient';
    b.otherwise = 'found';
    const first = await submit();
    h.worker.start();
    await waitFor(
      () => request(first.id),
      (r) => r.status === 'found',
      'first',
    );
    // failureThreshold 2: the two tries of the first lookup opened the breaker.
    const callsWhenOpen = a.calls.length;
    const second = await submit('01234567897');
    await waitFor(
      () => request(second.id),
      (r) => r.status === 'found',
      'second',
    );
    assert.equal(a.calls.length, callsWhenOpen, 'skipped while open');
    assert.ok((await attempts(second.id)).includes('ipa-ws23:transient_error'));
    const health = await h.services.registries.sources.find((s) => s.id === 'ipa-ws23')!.health();
    assert.equal(health.breaker, 'open');
    h.clock.advance(60_000);
    a.otherwise = 'found';
    const third = await submit('12345678903');
    const row = await waitFor(
      () => request(third.id),
      (r) => r.status === 'found',
      'third',
    );
    assert.equal(row.source, 'ipa-ws23', 'the half-open probe went through and closed the breaker');
    assert.equal((await h.services.registries.sources.find((s) => s.id === 'ipa-ws23')!.health()).breaker, 'closed');
  });

  test('answers are cached per source and code until their TTL', async () => {
    await setup({ sources: { 'ipa-ws23': { cache: { ttlDays: 1, notFoundTtlHours: 1 } }, inipec: {}, openapi: {} } });
    a.answers.set(CODE, 'found');
    const first = await submit();
    h.worker.start();
    await waitFor(
      () => request(first.id),
      (r) => r.status === 'found',
      'first',
    );
    await h.store.db.updateTable('requests').set({ dedup_code: null }).execute();
    const second = await submit();
    await waitFor(
      () => request(second.id),
      (r) => r.status === 'found',
      'second',
    );
    assert.equal(a.calls.length, 1, 'the second lookup came from the cache');
    h.clock.advance(86_400_000 + 1);
    await h.store.db.updateTable('requests').set({ dedup_code: null }).execute();
    const third = await submit();
    await waitFor(
      () => request(third.id),
      (r) => r.status === 'found',
      'third',
    );
    assert.equal(a.calls.length, 2, 'expired: asked again');
    const metrics = await h.services.metrics.registry.metrics();
    assert.match(metrics, /cercapec_registry_cache_total\{source="ipa-ws23",result="hit"\} 1/);
  });

  test('past the deadline the request fails with a clear error and is refunded', async () => {
    await setup({ deadlineMinutes: 10 });
    a.otherwise = 'transient';
    const { id, account, key } = await submit(CODE, { initialCreditCents: 100, priceCents: 10 });
    assert.equal(await balanceOf(h.store.db, account.id), 90);
    h.worker.start();
    await waitFor(
      () => h.store.db.selectFrom('jobs').selectAll().where('queue', '=', 'lookup').executeTakeFirstOrThrow(),
      (j) => j.attempts >= 1 && j.status === 'queued',
      'a retry',
    );
    h.clock.advance(11 * 60_000);
    const row = await waitFor(
      () => request(id),
      (r) => r.status === 'failed',
      'failed',
    );
    assert.equal(row.error_code, 'deadline_exceeded');
    assert.equal(await balanceOf(h.store.db, account.id), 100, 'refunded');
    const response = await h.app.inject({ method: 'GET', url: `/index_ws.php?key=${encodeURIComponent(key)}&token=${id}` });
    assert.equal(response.body.trim(), 'ERROR|Ricerca non conclusa entro il tempo massimo; importo rimborsato');
  });

  test('an account that allows it hands what no source found to the operators', async () => {
    await setup();
    const { id } = await submit(CODE, { operatorFallback: true });
    h.worker.start();
    const row = await waitFor(
      () => request(id),
      (r) => r.status === 'waiting_operator',
      'waiting operator',
    );
    assert.equal(row.answered_at, null);
    const job = await h.store.db.selectFrom('jobs').selectAll().where('queue', '=', OPERATOR_QUEUE).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(job.payload), { requestId: id });
    assert.deepEqual(await attempts(id), ['directory:not_found', 'ipa-ws23:not_found', 'inipec:not_found', 'openapi:not_found']);
  });

  test('with the directory alone and inline answers on, a miss still goes to the operators when the account allows it', async () => {
    h = await createHarness('sqlite', { inlineAnswers: true });
    const { id: accountId } = await h.account({ operatorFallback: true });
    const account = (await getAccount(h.store, accountId))!;
    const { id } = await submitLookup(h.services.lookups, { account, code: CODE, via: 'text' });
    assert.equal((await request(id)).status, 'queued', 'not answered "not found" inline');
    h.worker.start();
    await waitFor(
      () => request(id),
      (r) => r.status === 'waiting_operator',
      'waiting operator',
    );
    const { id: plainId } = await h.account();
    const plain = (await getAccount(h.store, plainId))!;
    const other = await submitLookup(h.services.lookups, { account: plain, code: CODE, via: 'text' });
    assert.equal((await request(other.id)).status, 'not_found', 'an account without the operator gets the inline answer');
  });
});
