import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { purgeExpired, purgeExpiredTask } from '../../src/privacy/purge-expired.ts';
import { createMaintenance } from '../../src/queue/maintenance.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import type { RequestStatus } from '../../src/store/schema.ts';

const DAY = 86_400_000;

await eachDialect(describe, 'retention', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    // Through the queue, so that a request can be left pending on purpose.
    h = await createHarness(dialect, { inlineAnswers: false });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
  });
  afterEach(() => h.close());

  const count = async (table: 'requests' | 'request_addresses' | 'attempts' | 'ledger' | 'jobs' | 'idempotency_keys') =>
    (await h.store.db.selectFrom(table).selectAll().execute()).length;

  /** A request row as the lookup operations leave it, with one address when found and one attempt. */
  async function insertRequest(accountId: string, id: string, status: RequestStatus, createdAt: number) {
    await h.store.db
      .insertInto('requests')
      .values({
        id,
        account_id: accountId,
        code: '82003050109',
        kind: 'cf11',
        status,
        dedup_code: null,
        reference: null,
        callback_url: null,
        pec: status === 'found' ? 'a@pec.example.it' : null,
        source: null,
        error_code: null,
        error_message: null,
        charged_cents: 10,
        via: 'text',
        created_at: createdAt,
        updated_at: createdAt,
        answered_at: null,
        deleted_at: null,
      })
      .execute();
    if (status === 'found') {
      await h.store.db
        .insertInto('request_addresses')
        .values({ request_id: id, position: 0, pec: 'a@pec.example.it', source: 'directory', kind: 'ente', dataset_id: null, label: null, found_at: createdAt })
        .execute();
    }
    await h.store.db
      .insertInto('attempts')
      .values({ id: `att-${id}`, request_id: id, source: 'directory', started_at: createdAt, finished_at: createdAt, outcome: 'found', error: null })
      .execute();
  }

  async function insertJob(id: string, status: 'queued' | 'failed', at: number) {
    await h.store.db
      .insertInto('jobs')
      .values({
        id,
        queue: 'lookup',
        payload: '{}',
        status,
        run_at: at,
        attempts: 3,
        max_attempts: 3,
        locked_by: null,
        locked_until: null,
        last_error: status === 'failed' ? 'x' : null,
        created_at: at,
        updated_at: at,
      })
      .execute();
  }

  test('old answered requests go with their addresses, attempts and idempotency keys; pending and recent ones, the ledger and the balance stay', async () => {
    const account = (await getAccount(h.store, (await h.account({ initialCreditCents: 1000 })).id))!;
    const old = await submitLookup(h.services.lookups, { account, code: '82003050109', via: 'json', idempotency: { key: 'k1', bodyHash: 'h1' } });
    const oldPending = await submitLookup(h.services.lookups, { account, code: '00743110157', via: 'text' });
    // Answer only the first: the second stays queued (its job is removed by hand).
    await h.store.db.deleteFrom('jobs').where('payload', 'like', `%${oldPending.id}%`).execute();
    const answered = h.services.notifier.waitForAnswer(old.id, 10_000);
    h.worker.start();
    assert.equal(await answered, true);
    await h.worker.stop();
    assert.equal(await count('request_addresses'), 1);
    assert.equal(await count('attempts'), 1);
    h.clock.advance(91 * DAY);
    const recent = await submitLookup(h.services.lookups, { account, code: '84000950133', via: 'text' });
    await h.store.db.deleteFrom('jobs').execute();
    const balance = await balanceOf(h.store.db, account.id);
    const ledgerRows = await count('ledger');

    const counts = await h.store.db.transaction().execute((trx) => purgeExpired(trx, h.clock.now(), 90));
    assert.deepEqual(counts, { requests: 1, addresses: 1, attempts: 1, idempotencyKeys: 1, jobs: 0, batches: 0 });
    const left = (await h.store.db.selectFrom('requests').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(left, [oldPending.id, recent.id].sort());
    assert.equal(await count('request_addresses'), 0);
    assert.equal(await count('attempts'), 0);
    assert.equal(await count('idempotency_keys'), 0);
    assert.equal(await count('ledger'), ledgerRows, 'the ledger is kept');
    const charge = await h.store.db.selectFrom('ledger').select('request_id').where('request_id', '=', old.id).executeTakeFirst();
    assert.ok(charge, 'its rows keep the request id');
    assert.equal(await balanceOf(h.store.db, account.id), balance, 'balance unchanged');
  });

  test('chunks: every settled status past retention goes, pending ones and the boundary stay', async () => {
    const { id: accountId } = await h.account();
    const now = h.clock.now();
    const old = now - 200 * DAY;
    const settled: RequestStatus[] = ['found', 'not_found', 'failed', 'cancelled', 'found'];
    for (const [i, status] of settled.entries()) await insertRequest(accountId, `old-${i}`, status, old + i);
    for (const status of ['queued', 'running', 'waiting_operator'] as const) await insertRequest(accountId, `pending-${status}`, status, old);
    await insertRequest(accountId, 'boundary', 'found', now - 90 * DAY);
    await insertRequest(accountId, 'recent', 'found', now - DAY);

    // Chunks of 2: five settled requests take three rounds.
    const counts = await purgeExpired(h.store.db, now, 90, 2);
    assert.deepEqual(counts, { requests: 5, addresses: 2, attempts: 5, idempotencyKeys: 0, jobs: 0, batches: 0 });
    const left = (await h.store.db.selectFrom('requests').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(left, ['boundary', 'pending-queued', 'pending-running', 'pending-waiting_operator', 'recent']);
    assert.equal(await count('request_addresses'), 2, 'the addresses of the boundary and the recent one');
    assert.equal(await count('attempts'), 5);
    assert.deepEqual(
      await purgeExpired(h.store.db, now, 90, 2),
      { requests: 0, addresses: 0, attempts: 0, idempotencyKeys: 0, jobs: 0, batches: 0 },
      'nothing left to do',
    );
  });

  test('jobs that failed for good past retention are removed; others stay; retention 0 keeps everything', async () => {
    const now = h.clock.now();
    // The harness's dataset import queued a watch re-check: only this test's jobs are counted.
    await h.store.db.deleteFrom('jobs').execute();
    await insertJob('failed-old-1', 'failed', now - 100 * DAY);
    await insertJob('failed-old-2', 'failed', now - 95 * DAY);
    await insertJob('failed-recent', 'failed', now - DAY);
    await insertJob('queued-old', 'queued', now - 100 * DAY);
    const { id: accountId } = await h.account();
    await insertRequest(accountId, 'old', 'found', now - 100 * DAY);

    assert.deepEqual(await purgeExpired(h.store.db, now, 0), { requests: 0, addresses: 0, attempts: 0, idempotencyKeys: 0, jobs: 0, batches: 0 });
    assert.equal(await count('requests'), 1);
    assert.equal(await count('jobs'), 4);

    const counts = await purgeExpired(h.store.db, now, 90, 1);
    assert.equal(counts.jobs, 2);
    const left = (await h.store.db.selectFrom('jobs').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(left, ['failed-recent', 'queued-old']);
  });

  test('runs as the hourly maintenance task', async () => {
    const { id: accountId } = await h.account();
    await insertRequest(accountId, 'old', 'not_found', h.clock.now() - 100 * DAY);
    const task = purgeExpiredTask(90);
    assert.equal(task.everyMs, 3_600_000);
    const maintenance = createMaintenance({ store: h.store, clock: h.clock, logger: pino({ level: 'silent' }), tasks: [task] });
    assert.deepEqual(await maintenance.runAll(), { 'purge-expired': { requests: 1, addresses: 0, attempts: 1, idempotencyKeys: 0, jobs: 0, batches: 0 } });
    assert.equal(await count('requests'), 0);
  });
});
