/**
 * The operator queue on both dialects: claims with the queue's lease (never two people on one
 * request), renewal, release in place, the answer fenced by the lease and written like a
 * worker's (addresses, attempt, webhook, audit), and long polls woken at once.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { staff, waitingRequest, cf11 } from './admin-fixture.ts';
import { claimOperatorRequest, heldRequest, releaseOperatorRequest, renewOperatorLease } from '../../src/operators/claim-operator-request.ts';
import { answerOperatorRequest } from '../../src/operators/answer-operator-request.ts';
import { listOperatorQueue, operatorQueueDepth } from '../../src/operators/list-operator-queue.ts';
import { cancelLookupById } from '../../src/lookups/cancel-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { isCercapecError } from '../../src/errors.ts';
import { userActor } from '../../src/audit/record-audit.ts';

const LEASE = 10 * 60_000;

await eachDialect(describe, 'operator queue', (dialect) => {
  let h: Harness;
  let people: Awaited<ReturnType<typeof staff>>;
  let accountId: string;

  beforeEach(async () => {
    h = await createHarness(dialect);
    people = await staff(h.store, h.clock.now());
    accountId = (await h.account({ operatorFallback: true })).id;
  });
  afterEach(() => h.close());

  const claim = (userId: string, jobId?: string) => claimOperatorRequest(h.store, { userId, now: h.clock.now(), leaseMs: LEASE, jobId });
  const deps = () => ({ store: h.store, clock: h.clock, notifier: h.services.notifier });

  test('oldest first; two people never get the same request; one at a time each', async () => {
    const first = await waitingRequest(h, accountId, cf11(1));
    h.clock.advance(1000);
    const second = await waitingRequest(h, accountId, cf11(2));
    const [a, b] = await Promise.all([claim(people.operator.id), claim(people.operator2.id)]);
    assert.deepEqual(new Set([a?.requestId, b?.requestId]), new Set([first.requestId, second.requestId]));
    assert.equal((await claim(people.operator.id))?.requestId, a?.requestId, 'a second claim returns the one held');
    assert.equal(await claim(people.admin.id), null, 'nothing left');
    assert.equal(await claim(people.admin.id, first.jobId), null, 'a held job cannot be claimed by id');
    const listed = await listOperatorQueue(h.store.db, h.clock.now());
    assert.deepEqual(
      listed.map((r) => r.requestId),
      [first.requestId, second.requestId],
    );
    assert.ok(listed.every((r) => r.claimedBy?.startsWith('operator:')));
    assert.deepEqual(await operatorQueueDepth(h.store.db), { waiting: 2, oldestSince: listed[0].waitingSince });
  });

  test('claim by id; release puts it back in its place without counting an attempt', async () => {
    const first = await waitingRequest(h, accountId, cf11(1));
    h.clock.advance(1000);
    const second = await waitingRequest(h, accountId, cf11(2));
    assert.equal((await claim(people.operator.id, second.jobId))?.requestId, second.requestId);
    assert.equal((await claim(people.operator2.id))?.requestId, first.requestId);
    assert.equal(await releaseOperatorRequest(h.store, people.operator2.id, first.jobId, h.clock.now()), true);
    assert.equal(await releaseOperatorRequest(h.store, people.operator2.id, first.jobId, h.clock.now()), false, 'not held any more');
    const job = await h.store.db.selectFrom('jobs').selectAll().where('id', '=', first.jobId).executeTakeFirstOrThrow();
    assert.equal(job.status, 'queued');
    assert.equal(Number(job.attempts), 0);
    assert.equal((await claim(people.admin.id))?.requestId, first.requestId, 'still the oldest');
  });

  test('a lease runs out unless renewed; an expired one is taken over and the late answer is refused', async () => {
    const { requestId, jobId } = await waitingRequest(h, accountId, cf11(3));
    await claim(people.operator.id);
    h.clock.advance(LEASE - 1000);
    assert.equal(await renewOperatorLease(h.store, people.operator.id, jobId, h.clock.now(), LEASE), true);
    h.clock.advance(LEASE - 1000);
    assert.equal(await claim(people.operator2.id), null, 'renewed: still held');
    h.clock.advance(2000);
    assert.equal(await heldRequest(h.store, people.operator.id, h.clock.now()), null);
    assert.equal((await claim(people.operator2.id))?.requestId, requestId, 'taken over after expiry');
    await assert.rejects(answerOperatorRequest(deps(), { user: people.operator, jobId, answer: { outcome: 'found', pec: 'tardi@pec.example.it' } }), (e) =>
      isCercapecError(e, 'operator_lease_lost'),
    );
    assert.equal(await renewOperatorLease(h.store, people.operator.id, jobId, h.clock.now(), LEASE), false);
    const request = await h.store.db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirstOrThrow();
    assert.equal(request.status, 'waiting_operator', 'nothing written by the fenced-out answer');
  });

  test('a found answer: address from the operator, attempt, audit, wake-up, job gone', async () => {
    const { requestId, jobId } = await waitingRequest(h, accountId, cf11(4));
    const waitingSince = h.clock.now();
    await claim(people.operator.id);
    h.clock.advance(90_000);
    const woken = h.services.notifier.waitForAnswer(requestId, 5000);
    const result = await answerOperatorRequest(deps(), {
      user: people.operator,
      jobId,
      answer: { outcome: 'found', pec: ' Ufficio@PEC.Example.IT ', kind: 'impresa', note: 'dal sito della camera di commercio' },
    });
    assert.deepEqual(result, { requestId, answered: true });
    assert.equal(await woken, true, 'long polls wake at once');
    const request = await h.store.db.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
    assert.equal(request.status, 'found');
    assert.equal(request.pec, 'Ufficio@pec.example.it', 'normalised: domain lower-cased');
    assert.equal(request.source, 'operator');
    const addresses = await h.store.db.selectFrom('request_addresses').selectAll().where('request_id', '=', requestId).execute();
    assert.deepEqual(
      addresses.map((a) => [a.pec, a.source, a.kind, a.label]),
      [['Ufficio@pec.example.it', 'operator', 'impresa', 'dal sito della camera di commercio']],
    );
    const attempts = await h.store.db.selectFrom('attempts').selectAll().where('request_id', '=', requestId).where('source', '=', 'operator').execute();
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].outcome, 'found');
    assert.equal(Number(attempts[0].started_at), waitingSince);
    assert.equal(Number(attempts[0].finished_at), h.clock.now());
    assert.equal((await h.store.db.selectFrom('jobs').select('id').where('id', '=', jobId).execute()).length, 0);
    const [audit] = await listAudit(h.store.db, { action: 'request.answer' });
    assert.equal(audit.actor, userActor('otto'));
    assert.equal(audit.target, requestId);
    assert.deepEqual(audit.before, { status: 'waiting_operator' });
    assert.deepEqual(audit.after, { status: 'found', pec: 'Ufficio@pec.example.it', kind: 'impresa', note: 'dal sito della camera di commercio' });
  });

  test('not found with a note; an invalid PEC is refused before anything is written', async () => {
    const { requestId, jobId } = await waitingRequest(h, accountId, cf11(5));
    await claim(people.operator.id);
    for (const pec of ['', 'mario rossi', 'nessuna@', '@dominio.it', 'a@b']) {
      await assert.rejects(
        answerOperatorRequest(deps(), { user: people.operator, jobId, answer: { outcome: 'found', pec } }),
        (e) => isCercapecError(e, 'invalid_argument'),
        pec,
      );
    }
    assert.ok(await heldRequest(h.store, people.operator.id, h.clock.now()), 'still held after refused answers');
    await answerOperatorRequest(deps(), { user: people.operator, jobId, answer: { outcome: 'not_found', note: 'cessata nel 2019' } });
    const request = await h.store.db.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
    assert.equal(request.status, 'not_found');
    assert.equal(request.pec, null);
    const [audit] = await listAudit(h.store.db, { target: requestId, action: 'request.answer' });
    assert.deepEqual(audit.after, { status: 'not_found', pec: null, kind: null, note: 'cessata nel 2019' });
  });

  test('a request the customer cancelled meanwhile is not answered, and its job is retired on the next claim', async () => {
    const held = await waitingRequest(h, accountId, cf11(6));
    const other = await waitingRequest(h, accountId, cf11(7));
    const account = (await getAccount(h.store, accountId))!;
    await claim(people.operator.id, held.jobId);
    await cancelLookupById(h.services.lookups, account, held.requestId);
    await cancelLookupById(h.services.lookups, account, other.requestId);
    const result = await answerOperatorRequest(deps(), { user: people.operator, jobId: held.jobId, answer: { outcome: 'not_found' } });
    assert.equal(result.answered, false);
    assert.deepEqual(await listOperatorQueue(h.store.db, h.clock.now()), [], 'cancelled ones are not listed');
    assert.equal(await claim(people.operator2.id), null);
    assert.equal((await h.store.db.selectFrom('jobs').select('id').where('queue', '=', 'operator').execute()).length, 0);
    const request = await h.store.db.selectFrom('requests').select('status').where('id', '=', held.requestId).executeTakeFirstOrThrow();
    assert.equal(request.status, 'cancelled');
  });
});
