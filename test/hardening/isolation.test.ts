import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eachDialect } from '../helpers/stores.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createWebhookHarness, type WebhookHarness } from '../webhooks/webhook-harness.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';

/**
 * Isolation between accounts. Account A has lookups (text and JSON, answered and pending), a
 * batch with its results, webhook deliveries, an Idempotency-Key and a ledger. Account B tries
 * every operation of both protocols on them: each answer is byte for byte the answer to an id
 * that does not exist (a random one of the same shape), and afterwards A's rows, ledger and
 * balance are exactly as they were.
 */

const FOUND = '82003050109';
const PENDING = '00743110157';
const BATCH_CODES = ['00138020078', '84000950133'];

/** A random id of the same shape: same prefix (bat_, whd_, ...) and length, same alphabet. */
function lookalike(id: string): string {
  const prefix = /^[a-z]+_/.exec(id)?.[0] ?? '';
  const body = id.slice(prefix.length);
  const alphabet = /^[0-9a-z]+$/.test(body) ? '0123456789abcdef' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return prefix + Array.from(randomBytes(body.length), (b) => alphabet[b % alphabet.length]).join('');
}

await eachDialect(describe, "isolation: account B on account A's objects", (dialect) => {
  let h: WebhookHarness;
  let receiver: Receiver;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  const objects = {} as { textToken: string; jsonId: string; pendingId: string; batchId: string; deliveryId: string; ledgerCursor: string | null };

  /** A's rows of every table, to compare before and after. */
  async function snapshotOfA() {
    const db = h.store.db;
    const requests = await db.selectFrom('requests').selectAll().where('account_id', '=', a.id).orderBy('id').execute();
    return {
      requests,
      addresses: await db
        .selectFrom('request_addresses')
        .selectAll()
        .where(
          'request_id',
          'in',
          requests.map((r) => r.id),
        )
        .orderBy('request_id')
        .orderBy('position')
        .execute(),
      ledger: await db.selectFrom('ledger').selectAll().where('account_id', '=', a.id).orderBy('id').execute(),
      batches: await db.selectFrom('batches').selectAll().where('account_id', '=', a.id).execute(),
      batchRows: await db.selectFrom('batch_rows').selectAll().where('batch_id', '=', objects.batchId).orderBy('row_index').execute(),
      deliveries: await db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', a.id).orderBy('id').execute(),
      idempotency: await db.selectFrom('idempotency_keys').selectAll().where('account_id', '=', a.id).execute(),
      webhook: await db.selectFrom('account_webhooks').selectAll().where('account_id', '=', a.id).execute(),
    };
  }

  const text = (method: 'GET' | 'POST', key: string, fields: Record<string, string>) =>
    h.app.inject(
      method === 'GET'
        ? { method, url: `/index_ws.php?${new URLSearchParams({ key, ...fields })}` }
        : { method, url: '/index_ws.php', payload: { key, ...fields } },
    );
  const json = (key: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}`, ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const seen = (r: { statusCode: number; headers: Record<string, unknown>; body: string }) => ({
    status: r.statusCode,
    type: r.headers['content-type'],
    body: r.body,
  });

  before(async () => {
    h = await createWebhookHarness(dialect, { inlineAnswers: false });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
    receiver = await startReceiver();
    a = await h.account({ name: 'A' });
    b = await h.account({ name: 'B' });

    assert.equal((await json(a.key, 'PUT', '/v1/account/webhook', { url: `${receiver.url}/a` })).statusCode, 200);
    objects.textToken = (await text('POST', a.key, { cf: FOUND })).body.slice(3);
    const created = await json(a.key, 'POST', '/v1/lookups', { code: '84000970131' }, { 'idempotency-key': 'shared-key-1' });
    assert.equal(created.statusCode, 202, created.body);
    objects.jsonId = JSON.parse(created.body).id;
    const batch = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'text/csv' },
      payload: `partita iva\n${BATCH_CODES.join('\n')}\n`,
    });
    assert.equal(batch.statusCode, 202, batch.body);
    objects.batchId = JSON.parse(batch.body).id;
    // Answer everything so far (deliveries are made at the answer), then leave one pending.
    const waits = [objects.textToken, objects.jsonId].map((id) => h.services.notifier.waitForAnswer(id, 10_000));
    h.worker.start();
    await Promise.all(waits);
    await waitFor(
      async () => JSON.parse((await json(a.key, 'GET', `/v1/batches/${objects.batchId}`)).body).progress as number,
      (p) => p >= 1,
      'the batch answered',
    );
    await h.worker.stop(1000);
    objects.pendingId = JSON.parse((await json(a.key, 'POST', '/v1/lookups', { code: PENDING })).body).id;
    const deliveries = JSON.parse((await json(a.key, 'GET', '/v1/webhooks/deliveries')).body).items;
    assert.ok(deliveries.length > 0, 'A has webhook deliveries');
    objects.deliveryId = deliveries[0].id;
    h.clock.advance(1000);
    await h.app.inject({ method: 'POST', url: '/index_ws.php', payload: { key: a.key, saldo: '' } });
    objects.ledgerCursor = JSON.parse((await json(a.key, 'GET', '/v1/account/ledger?limit=1')).body).nextCursor;
    assert.ok(objects.ledgerCursor);
  });
  after(async () => {
    await receiver.close();
    await h.close();
  });

  test("every operation of B on A's objects answers as for an object that does not exist; A is untouched", async () => {
    const before = await snapshotOfA();
    const balanceOfA = (await text('POST', a.key, { saldo: '' })).body;
    const { textToken, jsonId, pendingId, batchId, deliveryId } = objects;
    const mismatches: string[] = [];
    const same = async (what: string, attempt: () => Promise<Parameters<typeof seen>[0]>, control: () => Promise<Parameters<typeof seen>[0]>) => {
      const got = seen(await attempt());
      const expected = seen(await control());
      if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push(`${what}: ${JSON.stringify(got)} != ${JSON.stringify(expected)}`);
      if (
        got.status >= 200 &&
        got.status < 300 &&
        /"(id|lookupId)":"(?:[^"]*)"/.test(got.body) &&
        [textToken, jsonId, pendingId, batchId, deliveryId].some((id) => got.body.includes(id))
      ) {
        mismatches.push(`${what}: shows one of A's ids`);
      }
    };

    // --- text protocol ---
    for (const token of [textToken, jsonId, pendingId]) {
      await same(
        `text poll ${token}`,
        () => text('GET', b.key, { token }),
        () => text('GET', b.key, { token: lookalike(token) }),
      );
      await same(
        `text POST with a token ${token}`,
        () => text('POST', b.key, { token }),
        () => text('POST', b.key, { token: lookalike(token) }),
      );
    }
    await same(
      "text cf-delete of A's code",
      () => text('POST', b.key, { 'cf-delete': FOUND }),
      () => text('POST', b.key, { 'cf-delete': '00138030077' }),
    );
    await same(
      "text cf-delete of A's pending code",
      () => text('POST', b.key, { 'cf-delete': PENDING }),
      () => text('POST', b.key, { 'cf-delete': '00893240150' }),
    );

    // --- JSON API: lookups ---
    for (const id of [textToken, jsonId, pendingId]) {
      await same(
        `GET lookup ${id}`,
        () => json(b.key, 'GET', `/v1/lookups/${id}`),
        () => json(b.key, 'GET', `/v1/lookups/${lookalike(id)}`),
      );
      await same(
        `GET lookup ${id}?wait=1`,
        () => json(b.key, 'GET', `/v1/lookups/${id}?wait=1`),
        () => json(b.key, 'GET', `/v1/lookups/${lookalike(id)}?wait=1`),
      );
      await same(
        `DELETE lookup ${id}`,
        () => json(b.key, 'DELETE', `/v1/lookups/${id}`),
        () => json(b.key, 'DELETE', `/v1/lookups/${lookalike(id)}`),
      );
      await same(
        `deliveries of lookup ${id}`,
        () => json(b.key, 'GET', `/v1/lookups/${id}/deliveries`),
        () => json(b.key, 'GET', `/v1/lookups/${lookalike(id)}/deliveries`),
      );
    }
    await same(
      "list lookups by A's code",
      () => json(b.key, 'GET', `/v1/lookups?code=${FOUND}`),
      () => json(b.key, 'GET', '/v1/lookups?code=00138030077'),
    );
    await same(
      'list lookups by status',
      () => json(b.key, 'GET', '/v1/lookups?status=found'),
      () => json(b.key, 'GET', '/v1/lookups?status=failed'),
    );
    await same(
      "list lookups with A's cursor",
      () => json(b.key, 'GET', `/v1/lookups?cursor=${objects.ledgerCursor}`),
      () => json(b.key, 'GET', '/v1/lookups'),
    );

    // --- batches and their results ---
    await same(
      'GET batch',
      () => json(b.key, 'GET', `/v1/batches/${batchId}`),
      () => json(b.key, 'GET', `/v1/batches/${lookalike(batchId)}`),
    );
    for (const format of ['csv', 'json', 'xlsx']) {
      await same(
        `batch results ${format}`,
        () => json(b.key, 'GET', `/v1/batches/${batchId}/results?format=${format}`),
        () => json(b.key, 'GET', `/v1/batches/${lookalike(batchId)}/results?format=${format}`),
      );
    }
    await same(
      'list batches',
      () => json(b.key, 'GET', '/v1/batches'),
      () => json(b.key, 'GET', '/v1/batches?limit=20'),
    );

    // --- webhooks and deliveries ---
    await same(
      'GET delivery',
      () => json(b.key, 'GET', `/v1/webhooks/deliveries/${deliveryId}`),
      () => json(b.key, 'GET', `/v1/webhooks/deliveries/${lookalike(deliveryId)}`),
    );
    await same(
      'list deliveries',
      () => json(b.key, 'GET', '/v1/webhooks/deliveries?status=pending'),
      () => json(b.key, 'GET', '/v1/webhooks/deliveries?status=failed'),
    );

    // --- ledger and usage ---
    const withCursor = JSON.parse((await json(b.key, 'GET', `/v1/account/ledger?cursor=${objects.ledgerCursor}`)).body).items as { id: string }[];
    const idsOfA = new Set(before.ledger.map((l) => l.id));
    assert.ok(
      withCursor.every((l) => !idsOfA.has(l.id)),
      "A's cursor pages through B's own ledger only",
    );
    const ledgerOfB = JSON.parse((await json(b.key, 'GET', '/v1/account/ledger')).body).items;
    assert.deepEqual(
      ledgerOfB.map((l: { kind: string; lookupId: string | null }) => [l.kind, l.lookupId]),
      [['topup', null]],
      "B's ledger holds B's top-up only",
    );
    const usage = JSON.parse((await json(b.key, 'GET', '/v1/account/usage?month=2026-11')).body);
    assert.deepEqual([usage.lookups, usage.chargedCents], [0, 0]);

    assert.deepEqual(mismatches, [], "B learns nothing from A's ids");
    assert.deepEqual(await snapshotOfA(), before, "A's objects are unchanged");
    assert.equal((await text('POST', a.key, { saldo: '' })).body, balanceOfA, 'A neither charged nor refunded');
  });

  test("B reusing A's Idempotency-Key, codes and batch rows gets lookups of its own, charged to B", async () => {
    const before = await snapshotOfA();
    const replay = await json(b.key, 'POST', '/v1/lookups', { code: '84000970131' }, { 'idempotency-key': 'shared-key-1' });
    assert.equal(replay.statusCode, 202, "a new lookup for B, not A's replay");
    assert.notEqual(JSON.parse(replay.body).id, objects.jsonId);
    const same = await text('POST', b.key, { cf: FOUND });
    assert.match(same.body, /^OK\|/);
    assert.notEqual(same.body.slice(3), objects.textToken);
    const batch = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { authorization: `Bearer ${b.key}`, 'content-type': 'text/csv' },
      payload: `codice\n${BATCH_CODES.join('\n')}\n${PENDING}\n`,
    });
    assert.equal(batch.statusCode, 202);
    assert.equal(JSON.parse(batch.body).newLookups, 3, "A's lookups are never linked to B's batch");
    const linked = await h.store.db
      .selectFrom('batch_rows as br')
      .innerJoin('requests as r', 'r.id', 'br.request_id')
      .select('r.account_id')
      .where('br.batch_id', '=', JSON.parse(batch.body).id)
      .execute();
    assert.ok(linked.every((r) => r.account_id === b.id));
    assert.equal((await text('POST', b.key, { saldo: '' })).body, '9.50', 'B paid for its five lookups');
    assert.deepEqual(await snapshotOfA(), before, "A's objects are unchanged");
  });
});
