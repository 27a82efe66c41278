import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../src/standins/dataset.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { eraseCode } from '../../src/privacy/erase-code.ts';
import { chargeWatchMonth } from '../../src/watches/charge-watches.ts';
import { usageStatement } from '../../src/billing/usage-statement.ts';
import { statementCsv } from '../../src/billing/statement-csv.ts';
import { purgeHistory } from '../../src/history/purge-history.ts';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { drainWatchQueue } from './watch-fixture.ts';

const dataset = generateDataset();
const [A, B, C, D] = dataset.companies;
const PERSON = dataset.persons[0];
const DAY = 86_400_000;

await eachDialect(describe, 'watches', (dialect) => {
  let h: Harness;
  let dir: string;

  beforeEach(async () => {
    h = await createHarness(dialect);
    dir = await mkdtemp(join(tmpdir(), 'cercapec-watch-'));
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await h.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${key}` } });
    return { status: res.statusCode, body: res.body ? (res.json() as any) : null, type: String(res.headers['content-type'] ?? '') };
  };
  /** Imports the operator's directory (always the same dataset name: each import replaces it). */
  const importDirectory = async (rows: [string, string][]) => {
    const file = join(dir, `d${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(file, ['codice_fiscale;pec', ...rows.map((r) => r.join(';'))].join('\n'));
    await importDataset(h.store, h.clock, { file, format: 'csv', name: 'clienti' });
    await drainWatchQueue(h.store, h.clock);
  };
  const events = async (key: string, cursor?: string) => (await call(key, 'GET', `/v1/watches/events${cursor ? `?cursor=${cursor}` : ''}`)).body;

  test('watches: add (invalid codes with the text protocol reasons), list with cursor, show with history, stop', async () => {
    const { key } = await h.account();
    await importDirectory([[A.cf, 'a@pec.example']]);
    const added = await call(key, 'POST', '/v1/watches', { codes: [A.cf, ` it${B.cf} `, 'RSSMRA80A01H501X', '123'], reference: 'fornitori' });
    assert.equal(added.status, 200);
    assert.equal(added.body.added, 2);
    assert.deepEqual(
      added.body.rejected.map((r: { reason: string }) => r.reason),
      ['check_char', 'length'],
    );
    assert.match(added.body.rejected[1].message, /lunghezza errata/);
    assert.equal((await call(key, 'POST', '/v1/watches', { codes: [A.cf] })).body.alreadyWatched, 1);
    const none = await call(key, 'POST', '/v1/watches', { codes: ['XYZ'] });
    assert.equal(none.status, 422);
    assert.match(none.type ?? '', /application\/problem\+json/);
    assert.equal((await call(key, 'POST', '/v1/watches', { codes: Array(10_001).fill(A.cf) })).status, 400, 'at most 10,000 codes a call');

    h.clock.advance(1000);
    await call(key, 'POST', '/v1/watches', { codes: [C.cf] });
    const first = await call(key, 'GET', '/v1/watches?limit=2');
    assert.deepEqual(
      first.body.items.map((w: { code: string }) => w.code),
      [A.cf, B.cf].sort(),
    );
    assert.ok(first.body.nextCursor);
    const second = await call(key, 'GET', `/v1/watches?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(
      second.body.items.map((w: { code: string }) => w.code),
      [C.cf],
    );
    assert.equal(second.body.nextCursor, null);

    const shown = await call(key, 'GET', `/v1/watches/${A.cf}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.pec, 'a@pec.example');
    assert.equal(shown.body.source, 'directory');
    assert.equal(shown.body.reference, 'fornitori');
    assert.deepEqual(
      shown.body.history.map((e: { source: string; pec: string }) => [e.source, e.pec]),
      [['directory', 'a@pec.example']],
    );
    assert.equal((await call(key, 'GET', '/v1/watches/123')).status, 422);
    assert.equal((await call(key, 'DELETE', `/v1/watches/${A.cf}`)).status, 204);
    assert.equal((await call(key, 'DELETE', `/v1/watches/${A.cf}`)).status, 404);
    assert.equal((await call(key, 'GET', `/v1/watches/${A.cf}`)).status, 404);
  });

  test('a directory re-import: pec.changed, pec.removed, pec.added, each once; the feed resumes from its last cursor', async () => {
    const { key } = await h.account();
    await importDirectory([
      [A.cf, 'a@pec.example'],
      [B.cf, 'b@pec.example'],
      [D.cf, 'd@pec.example'],
    ]);
    await call(key, 'POST', '/v1/watches', { codes: [A.cf, B.cf, C.cf, D.cf] });
    h.clock.advance(DAY);
    await importDirectory([
      [A.cf, 'a2@pec.example'],
      [C.cf, 'c@pec.example'],
      [D.cf, 'D@PEC.example'],
    ]);
    const page = await events(key);
    const seen = page.items.map((e: any) => [e.type, e.code, e.before, e.after, e.source]);
    assert.deepEqual(
      seen.sort(),
      [
        ['pec.added', C.cf, null, 'c@pec.example', 'directory'],
        ['pec.changed', A.cf, 'a@pec.example', 'a2@pec.example', 'directory'],
        ['pec.removed', B.cf, 'b@pec.example', null, 'directory'],
      ].sort(),
      'a change of letter case is no change',
    );
    assert.ok(page.nextCursor);
    assert.deepEqual((await events(key, page.nextCursor)).items, [], 'nothing after the last event yet');
    await importDirectory([
      [A.cf, 'a2@pec.example'],
      [C.cf, 'c@pec.example'],
      [D.cf, 'D@PEC.example'],
    ]);
    assert.deepEqual((await events(key, page.nextCursor)).items, [], 'the same data again: no event');
    h.clock.advance(DAY);
    await importDirectory([
      [A.cf, 'a3@pec.example'],
      [C.cf, 'c@pec.example'],
      [D.cf, 'D@PEC.example'],
    ]);
    const later = await events(key, page.nextCursor);
    assert.deepEqual(
      later.items.map((e: any) => [e.type, e.code, e.after]),
      [['pec.changed', A.cf, 'a3@pec.example']],
    );
    assert.equal((await events(key)).items.length, 4);
    assert.equal((await call(key, 'GET', '/v1/watches/events?cursor=%%%')).status, 400);
  });

  test('tenant isolation: another account sees neither the watches nor the events', async () => {
    const one = await h.account();
    const two = await h.account();
    await importDirectory([[A.cf, 'a@pec.example']]);
    await call(one.key, 'POST', '/v1/watches', { codes: [A.cf] });
    h.clock.advance(DAY);
    await importDirectory([[A.cf, 'a2@pec.example']]);
    assert.equal((await events(one.key)).items.length, 1);
    assert.deepEqual((await events(two.key)).items, []);
    assert.deepEqual((await call(two.key, 'GET', '/v1/watches')).body.items, []);
    assert.equal((await call(two.key, 'GET', `/v1/watches/${A.cf}`)).status, 404);
    assert.equal((await call(two.key, 'DELETE', `/v1/watches/${A.cf}`)).status, 404);
    assert.equal((await call(one.key, 'GET', `/v1/watches/${A.cf}`)).status, 200, 'the other account could not remove it');
    // The cursor of one account opens nothing of another's.
    const cursor = (await events(one.key)).nextCursor;
    await call(two.key, 'POST', '/v1/watches', { codes: [A.cf] });
    h.clock.advance(DAY);
    await importDirectory([[A.cf, 'a3@pec.example']]);
    const twos = (await events(two.key)).items;
    assert.deepEqual(
      twos.map((e: any) => e.after),
      ['a3@pec.example'],
      'only what happened while it watched',
    );
    assert.deepEqual(
      (await events(two.key, cursor)).items.map((e: any) => e.after),
      ['a3@pec.example'],
    );
  });

  test('verification: match, no_match, unknown; priced like a lookup or at its own price; 402 without credit', async () => {
    const { id, key } = await h.account({ priceCents: 7, initialCreditCents: 20 });
    await importDirectory([[A.cf, 'a@pec.example']]);
    await call(key, 'POST', '/v1/watches', { codes: [A.cf] });
    const t0 = h.clock.now();
    h.clock.advance(DAY);
    await importDirectory([[A.cf, 'a2@pec.example']]);
    const verify = (pec: string, at?: number) =>
      call(key, 'GET', `/v1/verifications?code=${A.cf}&pec=${pec}${at === undefined ? '' : `&at=${new Date(at).toISOString()}`}`);
    const old = await verify('A@pec.example', t0 + 1000);
    assert.equal(old.body.outcome, 'match');
    assert.equal(old.body.chargedCents, 7);
    assert.deepEqual(
      old.body.evidence.map((e: any) => [e.source, e.pec, e.matches]),
      [['directory', 'a@pec.example', true]],
    );
    assert.equal((await verify('a@pec.example')).body.outcome, 'no_match', 'at defaults to now');
    await h.store.db.updateTable('accounts').set({ verification_price_cents: 3 }).where('id', '=', id).execute();
    const unknown = await verify('a@pec.example', t0 - DAY);
    assert.equal(unknown.body.outcome, 'unknown');
    assert.equal(unknown.body.chargedCents, 3);
    assert.equal((await call(key, 'GET', `/v1/verifications?code=${A.cf}&pec=a@pec.example&at=ieri`)).status, 400);
    // 20 - 7 - 7 - 3 = 3: one more at 3 leaves 0, the next is refused.
    assert.equal((await verify('a@pec.example')).status, 200);
    const refused = await verify('a@pec.example');
    assert.equal(refused.status, 402);
    assert.equal((await call(key, 'GET', `/v1/verifications?code=123&pec=a@pec.example`)).status, 422);
  });

  test('billing: the first month when the watch starts, then one row per code per month; prepaid without credit cannot add', async () => {
    const { id, key } = await h.account({ priceCents: 10, initialCreditCents: 12 });
    await h.store.db.updateTable('accounts').set({ watch_price_cents: 5 }).where('id', '=', id).execute();
    const added = await call(key, 'POST', '/v1/watches', { codes: [A.cf, B.cf] });
    assert.equal(added.body.chargedCents, 10);
    const refused = await call(key, 'POST', '/v1/watches', { codes: [C.cf] });
    assert.equal(refused.status, 402);
    assert.match(refused.type ?? '', /problem\+json/);
    assert.equal((await call(key, 'GET', '/v1/watches')).body.items.length, 2);
    const charges = () =>
      h.store.db.selectFrom('ledger').select(['amount_cents', 'reason']).where('account_id', '=', id).where('kind', '=', 'charge').orderBy('id').execute();
    assert.deepEqual(
      (await charges()).map((r) => [Number(r.amount_cents), r.reason]),
      [
        [-5, 'sorveglianza PEC 2026-11'],
        [-5, 'sorveglianza PEC 2026-11'],
      ],
    );
    const run = () => h.store.db.transaction().execute((trx) => chargeWatchMonth(trx, h.clock.now()));
    assert.deepEqual(await run(), { charged: 0, cents: 0 }, 'this month is paid');
    h.clock.set(Date.UTC(2026, 11, 1, 0, 5));
    assert.deepEqual(await run(), { charged: 2, cents: 10 });
    assert.deepEqual(await run(), { charged: 0, cents: 0 }, 'once per month');
    assert.equal((await charges()).filter((r) => r.reason === 'sorveglianza PEC 2026-12').length, 2);
    const balance = await h.store.db.selectFrom('accounts').select('balance_cents').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(Number(balance.balance_cents), 12 - 20, 'a running watch is charged even below zero');
    // The statement an account is invoiced from says what those charges were for (no code: privacy).
    const csv = statementCsv(await usageStatement(h.store.db, id, '2026-12'));
    const lines = csv.split('\r\n').filter((l) => l.includes('sorveglianza PEC 2026-12'));
    assert.equal(lines.length, 2, csv);
    assert.ok(
      lines.every((l) => l.split(';')[3] === ''),
      'no code on a watch charge',
    );
  });

  test("erasure removes a code's history, its watches and events; retention keeps a watched code's baseline", async () => {
    const { key } = await h.account();
    await importDirectory([
      [A.cf, 'a@pec.example'],
      [B.cf, 'b@pec.example'],
    ]);
    await call(key, 'POST', '/v1/watches', { codes: [A.cf, B.cf] });
    h.clock.advance(DAY);
    await importDirectory([
      [A.cf, 'a2@pec.example'],
      [B.cf, 'b2@pec.example'],
    ]);
    const counts = await eraseCode(h.store, h.clock, A.cf, { actor: 'cli' });
    assert.equal(counts.observations, 2);
    assert.equal(counts.watches, 1);
    assert.equal(counts.watchEvents, 1);
    const left = await h.store.db.selectFrom('address_observations').select('code').distinct().execute();
    assert.deepEqual(
      left.map((r) => r.code),
      [B.cf],
    );
    assert.deepEqual(
      (await events(key)).items.map((e: any) => e.code),
      [B.cf],
    );
    assert.equal(
      (await call(key, 'GET', `/v1/verifications?code=${A.cf}&pec=a@pec.example&at=${new Date(h.clock.now() - DAY).toISOString()}`)).body.outcome,
      'unknown',
    );

    h.clock.advance(100 * DAY);
    const purged = await purgeHistory(h.store.db, h.clock.now(), 90);
    assert.deepEqual(purged, { observations: 1, watchEvents: 1 }, 'the superseded answer and the old event go');
    const kept = await h.store.db.selectFrom('address_observations').select(['code', 'pec']).execute();
    assert.deepEqual(kept, [{ code: B.cf, pec: 'b2@pec.example' }], 'the watch baseline stays');
  });

  test('a lookup answer is an observation: the same answer again extends it', async () => {
    const { key } = await h.account();
    await importDirectory([[PERSON.cf, 'p@pec.example']]);
    h.worker.start();
    const ask = async () => {
      const made = await call(key, 'POST', '/v1/lookups', { code: PERSON.cf });
      for (let i = 0; i < 200; i++) {
        const got = await call(key, 'GET', `/v1/lookups/${made.body.id}`);
        if (got.body.status === 'found') return got.body;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('no answer');
    };
    await ask();
    const first = await h.store.db.selectFrom('address_observations').selectAll().where('code', '=', PERSON.cf).execute();
    assert.deepEqual(
      first.map((r) => [r.source, r.pec]),
      [['directory', 'p@pec.example']],
    );
    h.clock.advance(DAY);
    await call(key, 'DELETE', `/v1/lookups/${(await call(key, 'GET', '/v1/lookups')).body.items[0].id}`);
    await ask();
    const after = await h.store.db.selectFrom('address_observations').selectAll().where('code', '=', PERSON.cf).execute();
    assert.equal(after.length, 1);
    assert.equal(Number(after[0].last_seen_at), h.clock.now());
    assert.equal(Number(after[0].first_seen_at), h.clock.now() - DAY);
  });
});
