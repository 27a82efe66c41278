/**
 * What the back office reads and changes, on both dialects: the audit records of account and
 * key changes (with the actor), the ledger with a running balance, the monthly statement and
 * its CSV, searches, and the dashboard's grouped reads.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { cf11, waitingRequest } from './admin-fixture.ts';
import { createAccount, getAccount, topUp } from '../../src/accounts/accounts.ts';
import { addApiKey, revokeApiKey } from '../../src/accounts/api-keys.ts';
import { updateAccount } from '../../src/accounts/update-account.ts';
import { searchAccountPage, searchAccounts } from '../../src/accounts/search-accounts.ts';
import { formatAuditCursor, listAudit, parseAuditCursor } from '../../src/audit/list-audit.ts';
import { CLI_ACTOR, recordAudit } from '../../src/audit/record-audit.ts';
import { purgeAudit } from '../../src/audit/purge-audit.ts';
import { recentLedger } from '../../src/billing/recent-ledger.ts';
import { listLedger } from '../../src/billing/ledger.ts';
import { usageStatement } from '../../src/billing/usage-statement.ts';
import { statementCsv } from '../../src/billing/statement-csv.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { cancelLookupById } from '../../src/lookups/cancel-lookup.ts';
import { allRequests, searchRequests } from '../../src/lookups/search-requests.ts';
import { requestsPerHour, HOUR_MS } from '../../src/dashboard/requests-per-hour.ts';
import { answerTimes, percentile, BUCKET_BOUNDS } from '../../src/dashboard/answer-times.ts';
import { sourceHealth } from '../../src/dashboard/source-health.ts';
import { hourlyTimeline } from '../../src/dashboard/timeline.ts';
import { queueDepth } from '../../src/queue/queue-depth.ts';

const ADMIN = { actor: 'user:anna' };

test('percentiles from histogram buckets', () => {
  const buckets = new Array(BUCKET_BOUNDS.length + 1).fill(0);
  assert.equal(percentile(buckets, 0.5), null);
  buckets[0] = 10; // 10 answers under 50 ms
  assert.equal(percentile(buckets, 0.5), 25);
  buckets[4] = 10; // and 10 between 500 ms and 1 s
  assert.equal(percentile(buckets, 0.5), 50);
  assert.equal(percentile(buckets, 0.95), 950); // the 19th of 20: 9/10 into 500..1000 ms
  buckets[BUCKET_BOUNDS.length] = 100; // a hundred over a day: the open bucket reports its lower bound
  assert.equal(percentile(buckets, 0.95), 86_400_000);
});

await eachDialect(describe, 'back office data', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect);
  });
  afterEach(() => h.close());

  test('account, key and credit changes are audited with who made them; the key never is', async () => {
    const now = h.clock.now();
    const { account, key } = await createAccount(
      h.store,
      now,
      { name: 'Studio Rossi', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 },
      { audit: CLI_ACTOR },
    );
    await topUp(h.store, account.id, 250, now, 'bonifico 12/11', ADMIN);
    await topUp(h.store, account.id, -30, now, 'storno', CLI_ACTOR);
    const second = await addApiKey(h.store, account.id, now, { label: 'gestionale', audit: ADMIN });
    await revokeApiKey(h.store, { accountId: account.id, keyId: key.id }, now, ADMIN);
    await revokeApiKey(h.store, { accountId: account.id, keyId: key.id }, now, ADMIN); // already revoked: no second record
    await updateAccount(h.store, account.id, now, { billingMode: 'postpaid', priceCents: 12, creditLimitCents: 5000, operatorFallback: true }, ADMIN);
    await updateAccount(h.store, account.id, now, { priceCents: 12 }, ADMIN); // no change, no record
    await topUp(h.store, account.id, 100, now); // no actor: not audited (internal callers)

    const rows = (await listAudit(h.store.db)).reverse();
    assert.deepEqual(
      rows.map((r) => [r.actor, r.action, r.target]),
      [
        ['cli', 'account.create', account.id],
        ['cli', 'key.create', key.id],
        ['user:anna', 'ledger.topup', account.id],
        ['cli', 'ledger.adjustment', account.id],
        ['user:anna', 'key.create', second.id],
        ['user:anna', 'key.revoke', key.id],
        ['user:anna', 'account.update', account.id],
      ],
    );
    assert.deepEqual(rows[2].before, { balance_cents: 500 });
    assert.deepEqual(rows[2].after, { balance_cents: 750, amount_cents: 250, reason: 'bonifico 12/11' });
    assert.deepEqual(rows[6].before, { billing_mode: 'prepaid', price_cents: 10, credit_limit_cents: null, operator_fallback: 0 });
    assert.deepEqual(rows[6].after, { billing_mode: 'postpaid', price_cents: 12, credit_limit_cents: 5000, operator_fallback: 1 });
    const everything = JSON.stringify(await h.store.db.selectFrom('audit_log').selectAll().execute());
    assert.ok(!everything.includes(key.key) && !everything.includes(second.key), 'no key in the audit log');
    const updated = (await getAccount(h.store, account.id))!;
    assert.equal(updated.billing_mode, 'postpaid');
    await assert.rejects(updateAccount(h.store, account.id, now, { priceCents: -1 }), /price/);
    await assert.rejects(updateAccount(h.store, 'acc_nope', now, { priceCents: 1 }), /no account/);
  });

  test('audit pages follow (at, id): rows of the same millisecond across a page boundary are all listed once', async () => {
    const at = h.clock.now();
    const written = [];
    for (let n = 0; n < 5; n++) written.push(await recordAudit(h.store.db, { at, actor: 'user:anna', action: 'ledger.topup', target: `acc_${n}` }));
    await recordAudit(h.store.db, { at: at - 1, actor: 'user:anna', action: 'ledger.topup', target: 'older' });
    const seen: string[] = [];
    let before: ReturnType<typeof parseAuditCursor>;
    for (let pages = 0; pages < 10; pages++) {
      const rows = await listAudit(h.store.db, { before, limit: 2 });
      seen.push(...rows.map((r) => r.id));
      if (rows.length < 2) break;
      // Through the URL form, as the page's "more" link carries it.
      before = parseAuditCursor(formatAuditCursor(rows[rows.length - 1]));
    }
    assert.equal(seen.length, 6, 'every row once, none skipped');
    assert.equal(new Set(seen).size, 6);
    assert.deepEqual(new Set(seen.slice(0, 5)), new Set(written));
    assert.equal(parseAuditCursor('12'), undefined);
    assert.equal(parseAuditCursor("1:x' or 1=1"), undefined);
  });

  test('retention deletes the audit records about requests (PECs, notes), never those about accounts', async () => {
    const DAY = 86_400_000;
    const old = h.clock.now() - 91 * DAY;
    await recordAudit(h.store.db, { at: old, actor: 'user:otto', action: 'request.answer', target: 'tok', after: { pec: 'mario@pec.example.it' } });
    await recordAudit(h.store.db, { at: old, actor: 'user:anna', action: 'ledger.topup', target: 'acc' });
    await recordAudit(h.store.db, { at: h.clock.now() - 89 * DAY, actor: 'user:otto', action: 'request.claim', target: 'tok2' });
    assert.equal(await purgeAudit(h.store.db, h.clock.now(), 0), 0, '0 keeps everything');
    assert.equal(await purgeAudit(h.store.db, h.clock.now(), 90), 1);
    assert.deepEqual((await listAudit(h.store.db)).map((r) => r.action).sort(), ['ledger.topup', 'request.claim']);
  });

  test('the newest ledger rows carry the same running balance as the whole ledger', async () => {
    const { id } = await h.account({ initialCreditCents: 1000, priceCents: 7 });
    const account = (await getAccount(h.store, id))!;
    for (let n = 0; n < 12; n++) {
      h.clock.advance(1000);
      await submitLookup(h.services.lookups, { account, code: cf11(100 + n), via: 'text' });
    }
    await topUp(h.store, id, 333, h.clock.now(), 'ricarica');
    const whole = await listLedger(h.store.db, id);
    const recent = await recentLedger(h.store.db, id, 5);
    assert.deepEqual(recent, whole.slice(-5).reverse());
    assert.equal(recent[0].runningBalanceCents, 1000 - 12 * 7 + 333);
  });

  test('monthly statement: charges and refunds of that month only, as CSV for a spreadsheet', async () => {
    h.clock.set(Date.UTC(2026, 9, 31, 23, 59));
    const { id } = await h.account({ billingMode: 'postpaid', priceCents: 15, initialCreditCents: 0 });
    let account = (await getAccount(h.store, id))!;
    await submitLookup(h.services.lookups, { account, code: cf11(1), via: 'text', reference: '=HYPERLINK("x")' }); // October
    h.clock.set(Date.UTC(2026, 10, 1, 0, 1));
    const a = await submitLookup(h.services.lookups, { account, code: cf11(2), via: 'json', reference: 'pratica 7' });
    await submitLookup(h.services.lookups, { account, code: cf11(3), via: 'text' });
    await cancelLookupById(h.services.lookups, account, a.id);
    account = (await getAccount(h.store, id))!;
    const statement = await usageStatement(h.store.db, id, '2026-11');
    assert.deepEqual([statement.charges, statement.refunds, statement.chargedCents, statement.refundedCents, statement.netCents], [2, 1, 30, 15, 15]);
    assert.equal(statement.rows[0].reference, 'pratica 7');
    const october = await usageStatement(h.store.db, id, '2026-10');
    assert.equal(october.chargedCents, 15);
    const csv = statementCsv(october);
    assert.ok(csv.startsWith('\ufeffdata;tipo;richiesta;codice;riferimento;importo_centesimi;importo_euro\r\n'));
    const [row] = parse(csv.slice(1), { delimiter: ';', columns: true }) as Record<string, string>[];
    assert.deepEqual([row.tipo, row.codice, row.importo_centesimi, row.importo_euro], ['addebito', cf11(1), '-15', '-0,15']);
    assert.equal(row.riferimento, `'=HYPERLINK("x")`, 'a formula is defused');
    await assert.rejects(usageStatement(h.store.db, id, '2026-13'), /YYYY-MM/);
  });

  test('account searches take % and _ literally; pages of accounts carry the total', async () => {
    for (const name of ['100% Srl', '1000 Srl', 'a_b Srl', 'axb Srl', 'back\\slash']) await h.account({ name });
    const names = async (q: string) => (await searchAccounts(h.store.db, q)).map((a) => a.name);
    assert.deepEqual(await names('%'), ['100% Srl']);
    assert.deepEqual(await names('0%'), ['100% Srl']);
    assert.deepEqual(await names('_'), ['a_b Srl']);
    assert.deepEqual(await names('\\'), ['back\\slash']);
    assert.equal((await names('srl')).length, 4);
    const first = await searchAccountPage(h.store.db, 'srl', 3, 0);
    const second = await searchAccountPage(h.store.db, 'srl', 3, 3);
    assert.deepEqual([first.total, first.rows.length, second.total, second.rows.length], [4, 3, 4, 1]);
    assert.deepEqual(
      [...first.rows, ...second.rows].map((a) => a.name),
      await names('srl'),
    );
    assert.equal((await searchAccountPage(h.store.db, '%', 10, 0)).total, 1);
  });

  test('searches: accounts by name, id or key prefix; requests by code, account, status and date', async () => {
    const rossi = await h.account({ name: 'Studio Rossi & C.' });
    const bianchi = await h.account({ name: 'Bianchi SpA' });
    assert.deepEqual(
      (await searchAccounts(h.store.db, 'rossi')).map((a) => a.id),
      [rossi.id],
    );
    assert.deepEqual(
      (await searchAccounts(h.store.db, bianchi.id)).map((a) => a.id),
      [bianchi.id],
    );
    assert.deepEqual(
      (await searchAccounts(h.store.db, bianchi.key.slice(0, 7))).map((a) => a.id),
      [bianchi.id],
    );
    const all = await searchAccounts(h.store.db, '');
    assert.deepEqual(
      all.map((a) => [a.name, a.balanceCents, a.activeKeys]),
      [
        ['Bianchi SpA', 1000, 1],
        ['Studio Rossi & C.', 1000, 1],
      ],
    );

    const day1 = Date.UTC(2026, 10, 28, 10);
    h.clock.set(day1);
    const r1 = await submitLookup(h.services.lookups, { account: (await getAccount(h.store, rossi.id))!, code: cf11(11), via: 'text' });
    h.clock.set(day1 + 86_400_000);
    const r2 = await submitLookup(h.services.lookups, { account: (await getAccount(h.store, bianchi.id))!, code: cf11(12), via: 'json' });
    const ids = async (f: Parameters<typeof searchRequests>[1]) => (await searchRequests(h.store.db, f)).rows.map((r) => r.id);
    assert.deepEqual(await ids({}), [r2.id, r1.id], 'newest first');
    assert.deepEqual(await ids({ code: ` it ${cf11(11)}` }), [r1.id], 'normalised like the protocols');
    assert.deepEqual(await ids({ account: 'BIANCHI' }), [r2.id]);
    assert.deepEqual(await ids({ account: rossi.id }), [r1.id]);
    assert.deepEqual(await ids({ status: 'queued', from: day1 + 3_600_000 }), [r2.id]);
    assert.deepEqual(await ids({ to: day1 + 1 }), [r1.id]);
    const first = await searchRequests(h.store.db, { limit: 1 });
    assert.deepEqual(await ids({ after: first.next!, limit: 1 }), [r1.id], 'keyset paging');
  });

  test('request pages go both ways on (created_at, id), with a total; the export walks every row of the filter', async () => {
    const { id } = await h.account({ initialCreditCents: 10_000, name: 'Sconto 100% Srl' });
    await h.account({ name: 'Cento Srl' });
    const account = (await getAccount(h.store, id))!;
    const made: string[] = [];
    for (let n = 0; n < 5; n++) {
      if (n % 2 === 0) h.clock.advance(1000); // pairs share a millisecond
      made.push((await submitLookup(h.services.lookups, { account, code: cf11(300 + n), via: 'text' })).id);
    }
    const all = (await searchRequests(h.store.db, {})).rows.map((r) => r.id);
    assert.deepEqual(new Set(all), new Set(made));
    const p1 = await searchRequests(h.store.db, { limit: 2 });
    const p2 = await searchRequests(h.store.db, { limit: 2, after: p1.next! });
    const p3 = await searchRequests(h.store.db, { limit: 2, after: p2.next! });
    assert.deepEqual(
      [...p1.rows, ...p2.rows, ...p3.rows].map((r) => r.id),
      all,
    );
    assert.deepEqual([p1.total, p2.total, p3.total], [5, 5, 5]);
    assert.deepEqual([p1.prev, p3.next], [null, null]);
    assert.ok(p2.prev && p3.prev);
    const back2 = await searchRequests(h.store.db, { limit: 2, before: p3.prev! });
    assert.deepEqual(
      back2.rows.map((r) => r.id),
      p2.rows.map((r) => r.id),
      'previous page of the third is the second',
    );
    const back1 = await searchRequests(h.store.db, { limit: 2, before: back2.prev! });
    assert.deepEqual(
      back1.rows.map((r) => r.id),
      p1.rows.map((r) => r.id),
    );
    assert.equal(back1.prev, null);
    assert.equal((await searchRequests(h.store.db, { account: '100%' })).total, 5, '% is a character');
    assert.equal((await searchRequests(h.store.db, { account: '0%' })).total, 5);
    assert.equal((await searchRequests(h.store.db, { account: 'cento%' })).total, 0);
    const exported: string[] = [];
    for await (const r of allRequests(h.store.db, {}, 100, 2)) exported.push(r.id);
    assert.deepEqual(exported, all, 'chunks of 2 cover every row once');
    const capped: string[] = [];
    for await (const r of allRequests(h.store.db, {}, 3, 2)) capped.push(r.id);
    assert.deepEqual(capped, all.slice(0, 3));
  });

  test('dashboard reads: requests per hour by outcome, answer times, source health, queue depth', async () => {
    const start = Date.UTC(2026, 10, 28, 8);
    h.clock.set(start + 5 * 60_000);
    const { id } = await h.account({ initialCreditCents: 10_000 });
    const account = (await getAccount(h.store, id))!;
    const w = await waitingRequest(h, id, cf11(21)); // hour 0, waiting for an operator
    const q = await submitLookup(h.services.lookups, { account, code: cf11(22), via: 'text' }); // hour 0, queued
    h.clock.set(start + HOUR_MS + 10 * 60_000);
    const f = await submitLookup(h.services.lookups, { account, code: cf11(23), via: 'text' }); // hour 1, answered in 2 s
    await h.store.db
      .updateTable('requests')
      .set({ status: 'found', answered_at: h.clock.now() + 2000 })
      .where('id', '=', f.id)
      .execute();
    await h.store.db
      .insertInto('attempts')
      .values([
        { id: 'att_a', request_id: f.id, source: 'directory', started_at: h.clock.now(), finished_at: h.clock.now() + 5, outcome: 'not_found', error: null },
        {
          id: 'att_b',
          request_id: f.id,
          source: 'inipec',
          started_at: h.clock.now(),
          finished_at: h.clock.now() + 1900,
          outcome: 'transient_error',
          error: 'timeout',
        },
        { id: 'att_c', request_id: f.id, source: 'inipec', started_at: h.clock.now(), finished_at: h.clock.now() + 2000, outcome: 'found', error: null },
        {
          id: 'att_old',
          request_id: q.id,
          source: 'inipec',
          started_at: start - HOUR_MS,
          finished_at: start - HOUR_MS,
          outcome: 'permanent_error',
          error: 'x',
        },
      ])
      .execute();

    const now = start + HOUR_MS + 30 * 60_000;
    const hourly = await requestsPerHour(h.store.db, hourlyTimeline(start, now));
    assert.deepEqual(hourly.timeline.starts, [start, start + HOUR_MS]);
    assert.deepEqual(hourly.counts.waiting_operator, [1, 0]);
    assert.deepEqual(hourly.counts.in_progress, [1, 0]);
    assert.deepEqual(hourly.counts.found, [0, 1]);
    const times = await answerTimes(h.store.db, hourlyTimeline(start, now));
    assert.deepEqual(
      times.p50.map((v) => v === null),
      [true, false],
    );
    assert.ok(times.p50[1]! > 1000 && times.p50[1]! <= 2500, `p50 ${times.p50[1]} in the 1-2.5 s bucket`);
    assert.equal(times.overall.answered, 1);
    const health = await sourceHealth(h.store.db, now - HOUR_MS, now);
    assert.deepEqual(
      health.map((s) => [s.source, s.total, s.errorRate]),
      [
        ['directory', 1, 0],
        ['inipec', 2, 0.5],
      ],
    );
    const depth = await queueDepth(h.store.db, now);
    assert.deepEqual(
      depth.map((d) => [d.queue, d.ready, d.running]),
      [
        ['lookup', 2, 0],
        ['operator', 1, 0],
      ],
    );
    assert.ok(w.jobId);
  });
});
