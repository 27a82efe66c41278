import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eachDialect } from '../helpers/stores.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { claimJobs } from '../../src/queue/claim-jobs.ts';
import { completeJob } from '../../src/queue/complete-job.ts';
import { LeaseLostError, type JobContext } from '../../src/queue/worker.ts';
import type { Job } from '../../src/queue/job.ts';
import { createLookupHandler } from '../../src/lookups/process-lookup.ts';
import { LOOKUP_QUEUE } from '../../src/lookups/lookup-status.ts';
import { enqueueLookupWebhooks } from '../../src/webhooks/enqueue.ts';
import { purgeWebhookDeliveries } from '../../src/webhooks/purge-deliveries.ts';
import { WEBHOOK_QUEUE } from '../../src/webhooks/webhook-status.ts';
import { TARGET_UNREACHABLE } from '../../src/webhooks/deliver.ts';
import { createWebhookHarness, type WebhookHarness } from './webhook-harness.ts';
import { documentedSignatureIsValid, isSigned, startReceiver, type Receiver } from './receiver.ts';

const FOUND = '82003050109'; // Comune di Rezzoaglio, in the demo dataset
const OTHER = '84000950133';
const UNKNOWN = '00743110157';

await eachDialect(describe, 'webhook delivery', (dialect) => {
  let h: WebhookHarness;
  let key: string;
  let secret: string;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };

  beforeEach(async () => {
    h = await createWebhookHarness(dialect);
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    ({ key } = await h.account());
    secret = (await h.call(key, 'GET', '/v1/account/webhook')).body.secret;
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    await h.close();
  });

  /** Submits through the JSON API and lets the lookup worker answer it. */
  async function submitAndAnswer(body: Record<string, unknown>): Promise<string> {
    const created = await h.call(key, 'POST', '/v1/lookups', body);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.status, 'queued');
    h.worker.start();
    // The long poll subscribes before it reads: an answer given in between is not missed.
    const answered = await h.call(key, 'GET', `/v1/lookups/${created.body.id}?wait=5`);
    assert.notEqual(answered.body.status, 'queued', 'answered by the lookup worker');
    return created.body.id;
  }
  const deliveriesOf = async (id: string) => {
    const r = await h.call(key, 'GET', `/v1/lookups/${id}/deliveries`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items as any[];
  };
  /** Moves the manual clock to when the delivery's next attempt is due and waits for that attempt. */
  async function nextAttempt(delivery: { nextAttemptAt: string }): Promise<void> {
    const ran = h.nextRun();
    h.clock.set(Date.parse(delivery.nextAttemptAt));
    await ran;
  }

  test('a signed POST of the answered lookup; a 500 is retried after the backoff; both attempts in the log', async () => {
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/, 'the secret is shown on the first read');
    const again = (await h.call(key, 'GET', '/v1/account/webhook')).body;
    assert.equal(again.secret, undefined, 'and never again');
    assert.equal(again.secretHint, `whsec_…${secret.slice(-4)}`);

    // The receiver checks the signature as docs/webhooks.md says, fails the first delivery, accepts the retry.
    const r = await receiver((req, n) => (!isSigned(secret, req) ? 401 : n === 1 ? 500 : 200));
    const firstRun = h.nextRun();
    h.webhooks.start();
    const t0 = h.clock.now();
    const id = await submitAndAnswer({ code: FOUND, callbackUrl: `${r.url}/hooks/cercapec?source=test` });
    await firstRun;

    let [delivery] = await deliveriesOf(id);
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.event, 'lookup.answered');
    assert.equal(delivery.lookupId, id);
    assert.deepEqual(
      delivery.attempts.map((a: any) => a.statusCode),
      [500],
    );
    assert.match(delivery.attempts[0].error, /^HTTP 500/);
    assert.equal(delivery.lastStatusCode, 500);
    const due = Date.parse(delivery.nextAttemptAt);
    assert.ok(due >= t0 + 5_000 && due <= t0 + 10_000, `first retry 5-10 s later (base 10 s, jitter), got ${due - t0} ms`);

    const t1 = due;
    await nextAttempt(delivery);
    [delivery] = await deliveriesOf(id);
    assert.equal(delivery.status, 'delivered');
    assert.deepEqual(
      delivery.attempts.map((a: any) => a.statusCode),
      [500, 200],
    );
    assert.deepEqual(
      delivery.attempts.map((a: any) => a.error),
      ['HTTP 500: no: 500', null],
    );
    assert.equal(delivery.lastStatusCode, 200);
    assert.equal(delivery.deliveredAt, new Date(t1).toISOString());
    assert.equal(delivery.nextAttemptAt, null);

    const [first, second] = r.received;
    assert.equal(r.received.length, 2);
    for (const [req, at] of [
      [first, t0],
      [second, t1],
    ] as const) {
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/hooks/cercapec?source=test');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.headers['user-agent'], 'cercapec-webhooks/1');
      assert.equal(req.headers['x-cercapec-event'], 'lookup.answered');
      assert.equal(req.headers['x-cercapec-delivery'], delivery.id);
      assert.equal(req.headers['x-cercapec-timestamp'], String(Math.floor(at / 1000)));
      assert.match(String(req.headers['x-cercapec-signature']), /^v1=[0-9a-f]{64}$/);
      assert.ok(isSigned(secret, req));
    }
    assert.equal(second.body, first.body, 'the body is frozen: every attempt sends the same bytes');
    assert.notEqual(second.headers['x-cercapec-signature'], first.headers['x-cercapec-signature'], 'signed with its own timestamp');
    const lookup = (await h.call(key, 'GET', `/v1/lookups/${id}`)).body;
    assert.deepEqual(JSON.parse(first.body), lookup, 'the body is the lookup as GET /v1/lookups/{id} shows it');
    assert.equal(lookup.status, 'found');
    assert.equal(lookup.pec, 'protocollo@pec.comune.rezzoaglio.ge.it');

    // Tampering is caught: another body, another timestamp, another secret.
    const ts = String(second.headers['x-cercapec-timestamp']);
    const sig = String(second.headers['x-cercapec-signature']);
    assert.equal(documentedSignatureIsValid(secret, ts, second.body, sig), true);
    assert.equal(documentedSignatureIsValid(secret, ts, second.body.replace('protocollo@', 'attacker@'), sig), false);
    assert.equal(documentedSignatureIsValid(secret, ts, `${second.body} `, sig), false);
    assert.equal(documentedSignatureIsValid(secret, String(Number(ts) + 1), second.body, sig), false);
    assert.equal(documentedSignatureIsValid(`${secret}x`, ts, second.body, sig), false);
  });

  test('a lookup answered while the receiver is down is delivered once it is back', async () => {
    const gone = await startReceiver();
    const port = gone.port;
    await gone.close();
    assert.equal((await h.call(key, 'PUT', '/v1/account/webhook', { url: `http://127.0.0.1:${port}/hook` })).status, 200);
    const firstRun = h.nextRun();
    h.webhooks.start();
    const id = await submitAndAnswer({ code: UNKNOWN });
    await firstRun;
    let [delivery] = await deliveriesOf(id);
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attempts[0].statusCode, null);
    // Not the low-level ECONNREFUSED: the customer's log must not tell closed ports from refused targets.
    assert.equal(delivery.attempts[0].error, TARGET_UNREACHABLE);

    const back = await receiver(() => 200, port);
    await nextAttempt(delivery);
    [delivery] = await deliveriesOf(id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(back.received.length, 1);
    assert.ok(isSigned(secret, back.received[0]));
    assert.equal(JSON.parse(back.received[0].body).status, 'not_found');
  });

  test('retries stop when the retry window is over: the delivery fails, its job is gone', async () => {
    await h.close();
    h = await createWebhookHarness(dialect, { webhookRetryWindowMs: 60_000 });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    ({ key } = await h.account());
    const r = await receiver(() => 503);
    const firstRun = h.nextRun();
    h.webhooks.start();
    const id = await submitAndAnswer({ code: FOUND, callbackUrl: `${r.url}/x` });
    await firstRun;
    let [delivery] = await deliveriesOf(id);
    for (let i = 0; delivery.status === 'pending'; i++) {
      assert.ok(i < 10, 'a 60 s window ends after a few attempts');
      await nextAttempt(delivery);
      [delivery] = await deliveriesOf(id);
    }
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.nextAttemptAt, null);
    assert.ok(delivery.attempts.length >= 3, `attempts: ${delivery.attempts.length}`);
    assert.equal(r.received.length, delivery.attempts.length);
    assert.ok(delivery.attempts.every((a: any) => a.statusCode === 503));
    const last = Date.parse(delivery.attempts.at(-1).at);
    assert.ok(last - Date.parse(delivery.createdAt) <= 60_000, 'no attempt after the window');
    const jobs = await h.store.db.selectFrom('jobs').select('id').where('queue', '=', WEBHOOK_QUEUE).execute();
    assert.deepEqual(jobs, []);
  });

  test('cancellation (JSON DELETE, text cf-delete) and technical failure are delivered; deleting an answered lookup is not', async () => {
    const r = await receiver();
    assert.equal((await h.call(key, 'PUT', '/v1/account/webhook', { url: `${r.url}/all` })).status, 200);
    const a = (await h.call(key, 'POST', '/v1/lookups', { code: FOUND })).body.id;
    const b = (await h.call(key, 'POST', '/v1/lookups', { code: OTHER })).body.id;
    const c = (await h.call(key, 'POST', '/v1/lookups', { code: UNKNOWN })).body.id;
    assert.equal((await h.call(key, 'DELETE', `/v1/lookups/${a}`)).body.status, 'cancelled');
    const text = await h.app.inject({ method: 'POST', url: '/index_ws.php', payload: { key, 'cf-delete': OTHER } });
    assert.equal(text.body, 'OK|richiesta cancellata correttamente');
    // The lookup worker gives up on c (sources failing): its giveUp runs in the failing transaction.
    const handler = createLookupHandler({ ...h.services.lookups, chainFor: h.services.chainFor });
    const job = { payload: { requestId: c } } as Job;
    await h.store.db.transaction().execute((trx) => handler.giveUp(trx, job, new Error('sources unavailable')));
    handler.afterGiveUp?.(job);

    h.webhooks.start();
    const received = await r.waitFor(3);
    const bodies = new Map(received.map((x) => [JSON.parse(x.body).id, JSON.parse(x.body)]));
    assert.equal(bodies.get(a).status, 'cancelled');
    assert.equal(bodies.get(b).status, 'cancelled');
    assert.equal(bodies.get(c).status, 'failed');
    assert.deepEqual(bodies.get(c).error, { code: 'lookup_failed', message: 'sources unavailable' });
    assert.ok(received.every((x) => isSigned(secret, x)));
    // Deleted lookups keep their delivery log.
    assert.equal((await deliveriesOf(a)).length, 1);

    // c is answered (failed): deleting it now is no new event.
    assert.equal((await h.call(key, 'DELETE', `/v1/lookups/${c}`)).status, 200);
    const all = await h.store.db.selectFrom('webhook_deliveries').select('request_id').execute();
    assert.equal(all.length, 3);
  });

  test('exactly one delivery per answered lookup when the answering transaction is fenced out or rolled back', async () => {
    assert.equal((await h.call(key, 'PUT', '/v1/account/webhook', { url: 'http://127.0.0.1:9/never-started' })).status, 200);
    const handler = createLookupHandler({ ...h.services.lookups, chainFor: h.services.chainFor });
    const ctx = (workerId: string, job: Job): JobContext => ({
      workerId,
      signal: new AbortController().signal,
      async complete(trx) {
        if (!(await completeJob(trx, job.id, workerId))) throw new LeaseLostError(job.id);
      },
      async retryAt() {
        assert.fail('the lookup handler never reschedules its job itself');
      },
    });
    const claim = async (workerId: string) => {
      const [job] = await claimJobs(h.store, { queue: LOOKUP_QUEUE, workerId, limit: 1, leaseMs: 1000, now: h.clock.now() });
      assert.ok(job, `${workerId} claims the job`);
      return job;
    };
    const count = async (id: string) => (await h.store.db.selectFrom('webhook_deliveries').select('id').where('request_id', '=', id).execute()).length;
    const webhookJobs = async () => (await h.store.db.selectFrom('jobs').select('id').where('queue', '=', WEBHOOK_QUEUE).execute()).length;
    const statusOf = async (id: string) => (await h.store.db.selectFrom('requests').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

    // 1. Fenced out: A's lease expires and B takes the job over; A's late answer is dropped with its delivery.
    const first = (await h.call(key, 'POST', '/v1/lookups', { code: FOUND })).body.id;
    const jobA = await claim('worker-a');
    h.clock.advance(2000);
    const jobB = await claim('worker-b');
    assert.equal(jobB.id, jobA.id);
    await assert.rejects(handler.run(jobA, ctx('worker-a', jobA)), LeaseLostError);
    assert.equal(await statusOf(first), 'queued');
    assert.equal(await count(first), 0, 'nothing enqueued by the fenced-out try');
    await handler.run(jobB, ctx('worker-b', jobB));
    assert.equal(await statusOf(first), 'found');
    assert.equal(await count(first), 1);
    await assert.rejects(handler.run(jobA, ctx('worker-a', jobA)), LeaseLostError, 'A again: nothing to do, and fenced');
    assert.equal(await count(first), 1);

    // 2. Rolled back after the delivery was written (the webhook job insert fails): neither the answer nor the delivery stays.
    const second = (await h.call(key, 'POST', '/v1/lookups', { code: OTHER })).body.id;
    await injectWebhookJobFailure(h, true);
    const job1 = await claim('worker-c');
    await assert.rejects(handler.run(job1, ctx('worker-c', job1)), /injected failure/);
    assert.equal(await statusOf(second), 'queued');
    assert.equal(await count(second), 0);
    await injectWebhookJobFailure(h, false);
    h.clock.advance(2000); // the crashed try's lease expires: the job is claimed again
    const job2 = await claim('worker-d');
    await handler.run(job2, ctx('worker-d', job2));
    assert.equal(await statusOf(second), 'found');
    assert.equal(await count(second), 1);
    assert.equal(await webhookJobs(), 2, 'one delivery job per answered lookup');

    // The database refuses a second delivery of the same event to the same URL.
    await assert.rejects(h.store.db.transaction().execute((trx) => enqueueLookupWebhooks(trx, second, h.clock.now())));
    assert.equal(await count(second), 1);
  });

  test('delivered and failed deliveries are purged with the retention period; pending ones stay', async () => {
    const r = await receiver();
    const ran = h.nextRun();
    h.webhooks.start();
    await submitAndAnswer({ code: FOUND, callbackUrl: r.url });
    await ran;
    await h.webhooks.stop(1000);
    const pendingId = (
      await h.store.db
        .insertInto('webhook_deliveries')
        .values({
          id: 'whd_pending',
          account_id: 'acc_x',
          request_id: null,
          batch_id: 'bat_1',
          url: r.url,
          event: 'batch.completed',
          body: '{}',
          status: 'pending',
          attempts: 0,
          last_status_code: null,
          last_error: null,
          next_attempt_at: 0,
          created_at: 0,
          delivered_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    h.clock.advance(91 * 86_400_000);
    const counts = await h.store.db.transaction().execute((trx) => purgeWebhookDeliveries(trx, h.clock.now(), 90));
    assert.deepEqual(counts, { deliveries: 1, attempts: 1 });
    const left = await h.store.db.selectFrom('webhook_deliveries').select('id').execute();
    assert.deepEqual(
      left.map((x) => x.id),
      [pendingId],
    );
  });

  test('a lookup answered inline at submit is delivered too', async () => {
    await h.close();
    h = await createWebhookHarness(dialect, { inlineAnswers: true });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    ({ key } = await h.account());
    const r = await receiver();
    h.webhooks.start();
    const created = await h.call(key, 'POST', '/v1/lookups', { code: FOUND, callbackUrl: r.url });
    assert.equal(created.body.status, 'found', 'answered at submit');
    const [delivery] = await deliveriesOf(created.body.id);
    assert.ok(delivery, 'a delivery was enqueued with the inline answer');
  });
});

/** Makes every insert of a webhook job fail (or stops it): a crash after the delivery row was written. */
async function injectWebhookJobFailure(h: WebhookHarness, on: boolean): Promise<void> {
  const db = h.store.db;
  if (h.store.dialect.name === 'sqlite') {
    if (on)
      await sql`create trigger fail_webhook_jobs before insert on jobs when new.queue = 'webhook' begin select raise(abort, 'injected failure'); end`.execute(
        db,
      );
    else await sql`drop trigger fail_webhook_jobs`.execute(db);
    return;
  }
  if (on) {
    await sql`create function fail_webhook_jobs() returns trigger language plpgsql as $$ begin if new.queue = 'webhook' then raise exception 'injected failure'; end if; return new; end $$`.execute(
      db,
    );
    await sql`create trigger fail_webhook_jobs before insert on jobs for each row execute function fail_webhook_jobs()`.execute(db);
  } else {
    await sql`drop trigger fail_webhook_jobs on jobs`.execute(db);
    await sql`drop function fail_webhook_jobs()`.execute(db);
  }
}
