import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { cancelLookupByCode } from '../../src/lookups/cancel-lookup.ts';
import { findAddresses, findLookup } from '../../src/lookups/find-lookup.ts';
import { createLookupHandler } from '../../src/lookups/process-lookup.ts';
import { LOOKUP_QUEUE } from '../../src/lookups/lookup-status.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { claimJobs } from '../../src/queue/claim-jobs.ts';
import { createWorker } from '../../src/queue/worker.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { RegistryError, type Registry } from '../../src/registries/registry.ts';
import { isCercapecError } from '../../src/errors.ts';

const SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));
const REZZOAGLIO = '82003050109';
const NOT_IN_SAMPLE = '00743110157';

await eachDialect(describe, 'lookups', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: SAMPLE, format: 'ipa-enti', name: 'ipa' });
  });
  afterEach(async () => {
    await h.close();
  });

  async function accountOf(input: Parameters<Harness['account']>[0] = {}) {
    const { id } = await h.account(input);
    return (await getAccount(h.store, id))!;
  }
  const answered = async (id: string) => {
    h.worker.start();
    const row = await h.store.db.selectFrom('requests').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    if (row.status === 'queued' || row.status === 'running') await h.services.notifier.waitForAnswer(id, 10_000);
  };

  test('submit charges once, answers from the directory with every address and the attempt', async () => {
    const account = await accountOf({ initialCreditCents: 100, priceCents: 10 });
    const { id, code } = await submitLookup(h.services.lookups, { account, code: ` it ${REZZOAGLIO} `, via: 'text' });
    assert.equal(code, REZZOAGLIO);
    assert.equal(await balanceOf(h.store.db, account.id), 90);
    await answered(id);
    const row = await findLookup(h.store, account.id, id);
    assert.equal(row?.status, 'found');
    assert.equal(row?.pec, 'protocollo@pec.comune.rezzoaglio.ge.it');
    assert.equal(row?.source, 'directory');
    const addresses = await findAddresses(h.store, id);
    assert.equal(addresses[0].pec, 'protocollo@pec.comune.rezzoaglio.ge.it');
    assert.equal(addresses[0].kind, 'ente');
    assert.ok(addresses[0].dataset_id);
    const attempts = await h.store.db.selectFrom('attempts').selectAll().where('request_id', '=', id).execute();
    assert.deepEqual(
      attempts.map((a) => [a.source, a.outcome]),
      [['directory', 'found']],
    );
    assert.equal(await balanceOf(h.store.db, account.id), 90, 'answering charges nothing more');
  });

  test('a code no source knows is not found; another account cannot see the token', async () => {
    const account = await accountOf();
    const other = await accountOf();
    const { id } = await submitLookup(h.services.lookups, { account, code: NOT_IN_SAMPLE, via: 'text' });
    await answered(id);
    assert.equal((await findLookup(h.store, account.id, id))?.status, 'not_found');
    assert.equal(await findLookup(h.store, other.id, id), null);
  });

  test('duplicates, invalid codes and short credit are refused and never charged', async () => {
    const account = await accountOf({ initialCreditCents: 15, priceCents: 10 });
    await submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' });
    await assert.rejects(submitLookup(h.services.lookups, { account, code: `IT${REZZOAGLIO}`, via: 'text' }), (e) => isCercapecError(e, 'duplicate_request'));
    await assert.rejects(submitLookup(h.services.lookups, { account, code: '82003050108', via: 'text' }), (e) => isCercapecError(e, 'code_invalid'));
    await assert.rejects(submitLookup(h.services.lookups, { account, code: NOT_IN_SAMPLE, via: 'text' }), (e) => isCercapecError(e, 'insufficient_credit'));
    assert.equal(await balanceOf(h.store.db, account.id), 5);
    const count = await h.store.db
      .selectFrom('requests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  test('postpaid accrues below zero; a postpaid limit is honoured', async () => {
    const open = await accountOf({ billingMode: 'postpaid', initialCreditCents: 0, priceCents: 25 });
    await submitLookup(h.services.lookups, { account: open, code: REZZOAGLIO, via: 'text' });
    await submitLookup(h.services.lookups, { account: open, code: NOT_IN_SAMPLE, via: 'text' });
    assert.equal(await balanceOf(h.store.db, open.id), -50);
    const limited = await accountOf({ billingMode: 'postpaid', initialCreditCents: 0, priceCents: 25, creditLimitCents: 30 });
    await submitLookup(h.services.lookups, { account: limited, code: REZZOAGLIO, via: 'text' });
    await assert.rejects(submitLookup(h.services.lookups, { account: limited, code: NOT_IN_SAMPLE, via: 'text' }), (e) =>
      isCercapecError(e, 'insufficient_credit'),
    );
  });

  test('concurrent submissions of one code: one accepted, one charge', async () => {
    const account = await accountOf({ initialCreditCents: 1000 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || isCercapecError(r.reason, 'duplicate_request')));
    assert.equal(await balanceOf(h.store.db, account.id), 990);
  });

  test('cancelling before processing refunds, frees the code, and the job answers nothing', async () => {
    const account = await accountOf({ initialCreditCents: 100 });
    const { id } = await submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' });
    const result = await cancelLookupByCode(h.services.lookups, account, REZZOAGLIO);
    assert.deepEqual(result, { id, cancelled: true, refundedCents: 10 });
    assert.equal(await balanceOf(h.store.db, account.id), 100);
    h.worker.start();
    await h.worker.stop();
    const row = await findLookup(h.store, account.id, id);
    assert.equal(row?.status, 'cancelled');
    assert.equal(row?.pec, null);
    // Only the lookup queue: importing the test's dataset queued a watch re-check (watches/).
    assert.equal((await h.store.db.selectFrom('jobs').selectAll().where('queue', '=', LOOKUP_QUEUE).execute()).length, 0, 'job retired');
    const again = await submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' });
    assert.notEqual(again.id, id);
    await assert.rejects(cancelLookupByCode(h.services.lookups, account, NOT_IN_SAMPLE), (e) => isCercapecError(e, 'no_request_for_code'));
  });

  test('cancelling an answered request only deletes it: no refund', async () => {
    const account = await accountOf({ initialCreditCents: 100 });
    const { id } = await submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' });
    await answered(id);
    const result = await cancelLookupByCode(h.services.lookups, account, REZZOAGLIO);
    assert.deepEqual(result, { id, cancelled: false, refundedCents: 0 });
    assert.equal(await balanceOf(h.store.db, account.id), 90);
    const row = await findLookup(h.store, account.id, id);
    assert.equal(row?.status, 'found');
    assert.ok(row?.deleted_at);
  });

  test('a source that keeps failing: retried, then failed for good with a refund, and the code is free again', async () => {
    let calls = 0;
    const broken: Registry = {
      id: 'broken',
      kinds: ['cf11', 'cf16'],
      async lookup() {
        calls++;
        throw new RegistryError('broken', true, 'HTTP 503');
      },
    };
    const account = await accountOf({ initialCreditCents: 100 });
    const { id } = await submitLookup(h.services.lookups, { account, code: NOT_IN_SAMPLE, via: 'text' });
    const worker = createWorker({
      store: h.store,
      clock: h.clock,
      logger: h.services.logger,
      notifier: h.services.notifier,
      queue: LOOKUP_QUEUE,
      handler: createLookupHandler({ ...h.services.lookups, maxAttempts: 3, chainFor: () => [broken] }),
      pollIntervalMs: 5,
      backoffBaseMs: 1000,
    });
    await h.store.db.updateTable('jobs').set({ max_attempts: 3 }).execute();
    const gaveUp = h.services.notifier.waitForAnswer(id, 20_000);
    worker.start();
    // Each retry waits for its backoff: move the manual clock instead of sleeping through it.
    const ticker = setInterval(() => h.clock.advance(60_000), 5);
    assert.equal(await gaveUp, true);
    clearInterval(ticker);
    await worker.stop();
    assert.equal(calls, 3);
    const row = await findLookup(h.store, account.id, id);
    assert.equal(row?.status, 'failed');
    assert.equal(row?.dedup_code, null);
    assert.equal(await balanceOf(h.store.db, account.id), 100, 'refunded');
    const attempts = await h.store.db.selectFrom('attempts').select('outcome').where('request_id', '=', id).execute();
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ['transient_error', 'transient_error', 'transient_error'],
    );
    await submitLookup(h.services.lookups, { account, code: NOT_IN_SAMPLE, via: 'text' });
  });

  test('a permanent error fails at once; a definite answer from a later source wins over an earlier failure', async () => {
    const failing: Registry = {
      id: 'p',
      kinds: ['cf11'],
      async lookup() {
        throw new RegistryError('p', false, 'HTTP 400');
      },
    };
    const account = await accountOf({ initialCreditCents: 100 });
    const a = await submitLookup(h.services.lookups, { account, code: NOT_IN_SAMPLE, via: 'text' });
    const b = await submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' });
    const directory = h.services.chainFor('cf11')[0];
    const handler = createLookupHandler({ ...h.services.lookups, chainFor: () => [failing, directory] });
    const worker = createWorker({
      store: h.store,
      clock: h.clock,
      logger: h.services.logger,
      notifier: h.services.notifier,
      queue: LOOKUP_QUEUE,
      handler,
      pollIntervalMs: 5,
    });
    const done = Promise.all([h.services.notifier.waitForAnswer(a.id, 10_000), h.services.notifier.waitForAnswer(b.id, 10_000)]);
    worker.start();
    await done;
    await worker.stop();
    assert.equal((await findLookup(h.store, account.id, a.id))?.status, 'failed');
    assert.equal((await findLookup(h.store, account.id, b.id))?.status, 'found');
    assert.equal(await balanceOf(h.store.db, account.id), 90, 'the failed one refunded, the found one charged');
  });

  test('a worker whose lease was taken over drops its answer (fencing)', async () => {
    const account = await accountOf();
    const { id } = await submitLookup(h.services.lookups, { account, code: REZZOAGLIO, via: 'text' });
    const handler = createLookupHandler({ ...h.services.lookups, chainFor: h.services.chainFor });
    const [job] = await claimJobs(h.store, { queue: LOOKUP_QUEUE, workerId: 'slow', limit: 1, leaseMs: 1000, now: h.clock.now() });
    h.clock.advance(2000);
    const [stolen] = await claimJobs(h.store, { queue: LOOKUP_QUEUE, workerId: 'fast', limit: 1, leaseMs: 1000, now: h.clock.now() });
    assert.equal(stolen.id, job.id);
    const complete = (workerId: string) => async (trx: any) => {
      const { completeJob } = await import('../../src/queue/complete-job.ts');
      if (!(await completeJob(trx, job.id, workerId))) throw new Error('lease lost');
    };
    const retryAt = () => async () => assert.fail('a found code is not retried');
    await assert.rejects(
      handler.run(job, { workerId: 'slow', signal: new AbortController().signal, complete: complete('slow'), retryAt: retryAt() }),
      /lease lost/,
    );
    assert.equal((await findLookup(h.store, account.id, id))?.status, 'queued', 'the fenced worker wrote nothing');
    await handler.run(stolen, { workerId: 'fast', signal: new AbortController().signal, complete: complete('fast'), retryAt: retryAt() });
    assert.equal((await findLookup(h.store, account.id, id))?.status, 'found');
    const addresses = await findAddresses(h.store, id);
    assert.equal(addresses.length, 1);
  });
});
