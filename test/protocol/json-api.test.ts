import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createServer, type AddressInfo } from 'node:net';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { revokeApiKey } from '../../src/accounts/api-keys.ts';
import { cf11CheckDigit } from '../../src/taxid/index.ts';
import { createApiClient, ApiNetworkError, ApiProblemError, type ApiClient, type Lookup } from '../../src/sdk/cercapec-api.ts';

/**
 * The JSON API over real HTTP (the harness app listening on 127.0.0.1:0), driven through the SDK
 * and raw fetch, on every dialect. The worker is started only when a test wants answers.
 */

const SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));
/** In the demo IPA sample. */
const REZZOAGLIO = '82003050109';
const REZZOAGLIO_PEC = 'protocollo@pec.comune.rezzoaglio.ge.it';
/** Valid, in no dataset: answered not_found. */
const UNKNOWN = '00743110157';
const PERSON = 'RSSMRA85T10A562S';
const LOOKUP_FIELDS = ['addresses', 'answeredAt', 'callbackUrl', 'code', 'createdAt', 'error', 'id', 'kind', 'pec', 'reference', 'status'];

interface Raw {
  status: number;
  headers: Headers;
  body: any;
}

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A valid 11-digit code per n (matricola n, office 001). */
function cf11(n: number): string {
  const first10 = String(n).padStart(7, '0') + '001';
  return first10 + cf11CheckDigit(first10);
}

async function rawCall(
  base: string,
  method: string,
  path: string,
  init: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
): Promise<Raw> {
  const headers: Record<string, string> = { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(base + path, { method, headers, body });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: kept as text for the assertion to show
  }
  return { status: r.status, headers: r.headers, body: parsed };
}

/** Every error of the JSON API: problem+json with type, title, status and code. */
function assertProblem(r: Raw, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json(;|$)/);
  assert.equal(r.body.type, `/problems/${code.replaceAll('_', '-')}`);
  assert.equal(typeof r.body.title, 'string');
  assert.ok(r.body.title.length > 0);
  assert.equal(r.body.status, status);
  assert.equal(r.body.code, code);
}

/** The SDK's typed error carries the same problem fields. */
async function rejectsWithProblem(call: Promise<unknown>, status: number, code: string): Promise<ApiProblemError> {
  let caught: unknown;
  await assert.rejects(call, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ApiProblemError, `an ApiProblemError, not ${String(caught)}`);
  assert.equal(caught.status, status, caught.message);
  assert.equal(caught.code, code);
  assert.equal(caught.type, `/problems/${code.replaceAll('_', '-')}`);
  assert.ok(caught.title);
  return caught;
}

/** How the server's wait for an answer ended: woken by it, run out, or cancelled by the route. */
type WaitEnding = 'answered' | 'timed out' | 'cancelled';

/**
 * Watches the next long poll the server subscribes for `id` (the route subscribes before it
 * reads the lookup): `subscribed` resolves with the wait it asked for, once the request is held
 * open, so a test can start the worker knowing it; `ended` with how that wait ended.
 */
function watchLongPoll(h: Harness, id: string): { subscribed: Promise<{ timeoutMs: number }>; ended: Promise<WaitEnding> } {
  const notifier = h.services.notifier;
  const original = notifier.waitForAnswer;
  let ended!: (how: WaitEnding) => void;
  const endedPromise = new Promise<WaitEnding>((resolve) => (ended = resolve));
  const subscribed = new Promise<{ timeoutMs: number }>((resolve) => {
    notifier.waitForAnswer = (requestId, timeoutMs, signal) => {
      const outcome = original.call(notifier, requestId, timeoutMs, signal);
      if (requestId === id) {
        notifier.waitForAnswer = original;
        // Attached before the route awaits the outcome: the signal is aborted only by the route
        // giving up on the wait, which happens after a timeout, not before.
        void outcome.then((answered) => ended(answered ? 'answered' : signal?.aborted ? 'cancelled' : 'timed out'));
        resolve({ timeoutMs });
      }
      return outcome;
    };
  });
  return { subscribed, ended: endedPromise };
}

await eachDialect(describe, 'JSON API over HTTP', (dialect) => {
  let h: Harness;
  let base: string;
  let key: string;
  let accountId: string;
  let api: ApiClient;
  const call = (method: string, path: string, init: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {}) =>
    rawCall(base, method, path, { key, ...init });
  const clientFor = (apiKey: string) => createApiClient({ baseUrl: base, key: apiKey, timeoutMs: 10_000 });
  const balance = async (client = api) => (await client.account()).balanceCents;
  const ledgerRows = async (account = accountId) =>
    (
      await h.store.db
        .selectFrom('ledger')
        .select(['kind', 'amount_cents', 'request_id'])
        .where('account_id', '=', account)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    ).map((r) => ({ kind: r.kind, amountCents: Number(r.amount_cents), requestId: r.request_id }));
  const requestCount = async (account = accountId) =>
    Number(
      (
        await h.store.db
          .selectFrom('requests')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('account_id', '=', account)
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeEach(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: SAMPLE, format: 'ipa-enti', name: 'ipa-enti-test' });
    ({ key, id: accountId } = await h.account({ initialCreditCents: 1000, priceCents: 10 }));
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    api = clientFor(key);
  });
  afterEach(() => h.close());

  describe('authentication', () => {
    test('401 problem with WWW-Authenticate without a key, with a wrong, malformed or revoked key', async () => {
      for (const headers of [{}, { authorization: 'Bearer cp_nope' }, { authorization: `Basic ${key}` }, { authorization: 'Bearer' }] as Record<
        string,
        string
      >[]) {
        const r = await call('GET', '/v1/account', { key: null, headers });
        assertProblem(r, 401, 'unauthorized');
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="cercapec"/);
        assert.ok(!JSON.stringify(r.body).includes(key), 'the key is never echoed');
      }
      await rejectsWithProblem(clientFor('cp_nope').submitLookup({ code: REZZOAGLIO }), 401, 'unauthorized');
      assert.equal(await requestCount(), 0);

      assert.equal((await call('GET', '/v1/account')).status, 200);
      const keys = await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', accountId).execute();
      await revokeApiKey(h.store, { accountId, keyId: keys[0].id }, h.clock.now());
      assertProblem(await call('GET', '/v1/account'), 401, 'unauthorized');
      await rejectsWithProblem(api.getLookup('whatever'), 401, 'unauthorized');
    });
  });

  describe('POST /v1/lookups', () => {
    test('202 with the lookup resource, charged once', async () => {
      const r = await call('POST', '/v1/lookups', { body: { code: ` it ${REZZOAGLIO.slice(0, 5)} ${REZZOAGLIO.slice(5)}`, reference: 'recupero crediti' } });
      assert.equal(r.status, 202);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(Object.keys(r.body).sort(), LOOKUP_FIELDS);
      assert.match(r.body.id, /^[A-Za-z0-9_-]{24}$/);
      assert.deepEqual(
        { ...r.body, id: '-' },
        {
          id: '-',
          code: REZZOAGLIO,
          kind: 'cf11',
          status: 'queued',
          pec: null,
          addresses: [],
          reference: 'recupero crediti',
          callbackUrl: null,
          createdAt: new Date(h.clock.now()).toISOString(),
          answeredAt: null,
          error: null,
        },
      );
      const person = await api.submitLookup({ code: PERSON.toLowerCase() });
      assert.equal(person.outcome, 'created');
      assert.equal(person.lookup.code, PERSON);
      assert.equal(person.lookup.kind, 'cf16');
      assert.equal(person.lookup.reference, null);
      assert.deepEqual(await ledgerRows(), [
        { kind: 'topup', amountCents: 1000, requestId: null },
        { kind: 'charge', amountCents: -10, requestId: r.body.id },
        { kind: 'charge', amountCents: -10, requestId: person.lookup.id },
      ]);
    });

    test('a code the account already has: 200 with the existing lookup, nothing charged', async () => {
      const first = await api.submitLookup({ code: REZZOAGLIO });
      const again = await call('POST', '/v1/lookups', { body: { code: `IT${REZZOAGLIO}` } });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('x-cercapec-duplicate'), 'true');
      assert.deepEqual(again.body, first.lookup);
      const viaSdk = await api.submitLookup({ code: REZZOAGLIO, reference: 'another purpose' });
      assert.equal(viaSdk.outcome, 'existing');
      assert.equal(viaSdk.lookup.id, first.lookup.id);
      assert.equal(await balance(), 990);
      // Deduplication is per account: another account gets its own lookup.
      const other = await h.account();
      assert.equal((await clientFor(other.key).submitLookup({ code: REZZOAGLIO })).outcome, 'created');
    });

    test('20 concurrent submissions of one code without a key: one lookup, one charge', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/v1/lookups', { body: { code: UNKNOWN } })));
      assert.deepEqual(results.map((r) => r.status).sort(), [...Array(19).fill(200), 202].sort());
      assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
      assert.equal(await requestCount(), 1);
      assert.equal((await ledgerRows()).filter((e) => e.kind === 'charge').length, 1);
    });

    test('Idempotency-Key: a retry with the same body returns the same lookup, charged once', async () => {
      const first = await api.submitLookup({ code: UNKNOWN, reference: 'fattura 7' }, { idempotencyKey: 'order-7' });
      assert.equal(first.outcome, 'created');
      // The same body with its keys in another order is the same request.
      const retry = await call('POST', '/v1/lookups', { body: { reference: 'fattura 7', code: UNKNOWN }, headers: { 'idempotency-key': 'order-7' } });
      assert.equal(retry.status, 200);
      assert.equal(retry.body.id, first.lookup.id);
      assert.equal((await api.submitLookup({ code: UNKNOWN, reference: 'fattura 7' }, { idempotencyKey: 'order-7' })).outcome, 'replayed');
      assert.equal(await requestCount(), 1);
      assert.deepEqual(
        (await ledgerRows()).filter((e) => e.kind === 'charge'),
        [{ kind: 'charge', amountCents: -10, requestId: first.lookup.id }],
      );
    });

    test('Idempotency-Key under 20 concurrent retries: one lookup, one ledger charge', async () => {
      const headers = { 'idempotency-key': 'd2a1c7e4-retry-storm' };
      const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/v1/lookups', { body: { code: REZZOAGLIO }, headers })));
      assert.deepEqual(results.map((r) => r.status).sort(), [...Array(19).fill(200), 202].sort());
      const ids = new Set(results.map((r) => r.body.id));
      assert.equal(ids.size, 1);
      assert.equal(await requestCount(), 1);
      assert.deepEqual(
        (await ledgerRows()).filter((e) => e.kind === 'charge'),
        [{ kind: 'charge', amountCents: -10, requestId: [...ids][0] }],
      );
      assert.equal(await balance(), 990);
    });

    test('the same Idempotency-Key with another body: 422 idempotency-conflict, nothing charged', async () => {
      await api.submitLookup({ code: UNKNOWN }, { idempotencyKey: 'k1' });
      const other = await call('POST', '/v1/lookups', { body: { code: REZZOAGLIO }, headers: { 'idempotency-key': 'k1' } });
      assertProblem(other, 422, 'idempotency_conflict');
      await rejectsWithProblem(api.submitLookup({ code: UNKNOWN, reference: 'changed' }, { idempotencyKey: 'k1' }), 422, 'idempotency_conflict');
      assert.equal(await requestCount(), 1);
      assert.equal(await balance(), 990);
    });

    test('a replay after the lookup was deleted returns that lookup, not an error or a new charge', async () => {
      const first = await api.submitLookup({ code: UNKNOWN }, { idempotencyKey: 'k-del' });
      await api.cancelLookup(first.lookup.id);
      const replay = await call('POST', '/v1/lookups', { body: { code: UNKNOWN }, headers: { 'idempotency-key': 'k-del' } });
      assert.equal(replay.status, 200, JSON.stringify(replay.body));
      assert.equal(replay.body.id, first.lookup.id);
      assert.equal(replay.body.status, 'cancelled');
      assert.equal(await balance(), 1000);
    });

    test('an invalid code: 422 invalid-code with the reason, nothing charged or stored', async () => {
      const r = await call('POST', '/v1/lookups', { body: { code: '82003050108' } });
      assertProblem(r, 422, 'invalid_code');
      assert.equal(r.body.detail, 'cifra di controllo errata (attesa 9)');
      const short = await rejectsWithProblem(api.submitLookup({ code: 'ABC' }), 422, 'invalid_code');
      assert.match(short.detail ?? '', /^lunghezza errata/);
      assert.equal(await requestCount(), 0);
      assert.equal(await balance(), 1000);
    });

    test('unknown fields, wrong types, missing or malformed bodies: 400 invalid-request', async () => {
      const bodies: unknown[] = [
        { code: REZZOAGLIO, extra: 1 },
        { code: 82003050109 },
        {},
        [],
        { code: '' },
        { code: REZZOAGLIO, reference: 'x'.repeat(201) },
        { code: REZZOAGLIO, callbackUrl: 7 },
        '{"code":',
        'null',
      ];
      for (const body of bodies) assertProblem(await call('POST', '/v1/lookups', { body }), 400, 'invalid_request');
      const r = await call('POST', '/v1/lookups', { body: { code: REZZOAGLIO, extra: 1 } });
      assert.ok(r.body.detail, 'the detail says what is wrong');
      assert.equal(await requestCount(), 0);
    });

    test('insufficient credit: 402, nothing charged or stored', async () => {
      const poor = await h.account({ initialCreditCents: 5, priceCents: 10 });
      assertProblem(await call('POST', '/v1/lookups', { body: { code: REZZOAGLIO }, key: poor.key }), 402, 'insufficient_credit');
      await rejectsWithProblem(clientFor(poor.key).submitLookup({ code: UNKNOWN }), 402, 'insufficient_credit');
      assert.equal(await requestCount(poor.id), 0);
      assert.equal(await balance(clientFor(poor.key)), 5);
    });

    test('callbackUrl: non-http and internal targets refused with 422, a public https URL accepted', async () => {
      for (const callbackUrl of [
        'ftp://example.com/hook',
        'http://127.0.0.1/',
        'http://10.0.0.1/',
        'http://localhost/',
        'http://[::1]/hook',
        'http://192.168.1.20/hook',
        'not a url',
      ]) {
        const r = await call('POST', '/v1/lookups', { body: { code: REZZOAGLIO, callbackUrl } });
        assertProblem(r, 422, 'invalid_callback_url');
      }
      assert.equal(await requestCount(), 0);
      const { lookup, outcome } = await api.submitLookup({ code: REZZOAGLIO, callbackUrl: 'https://example.com/hook' });
      assert.equal(outcome, 'created');
      assert.equal(lookup.callbackUrl, 'https://example.com/hook');
    });

    test('over the body limit: 413 problem; a non-JSON content type: 415 problem', async () => {
      assertProblem(await call('POST', '/v1/lookups', { body: { code: REZZOAGLIO, reference: 'x'.repeat(70_000) } }), 413, 'payload_too_large');
      const form = new URLSearchParams({ code: REZZOAGLIO }).toString();
      for (const [contentType, body] of [
        ['text/plain', REZZOAGLIO],
        ['application/x-www-form-urlencoded', form],
        ['application/xml', '<code/>'],
      ]) {
        assertProblem(await call('POST', '/v1/lookups', { body, headers: { 'content-type': contentType } }), 415, 'unsupported_media_type');
      }
      const multipart = new FormData();
      multipart.set('code', REZZOAGLIO);
      const r = await fetch(`${base}/v1/lookups`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: multipart });
      assertProblem({ status: r.status, headers: r.headers, body: await r.json() }, 415, 'unsupported_media_type');
      assert.equal(await requestCount(), 0);
    });
  });

  describe('one request, two protocols', () => {
    test('a JSON lookup id is a text protocol token, and a text token is a JSON lookup id', async () => {
      const { lookup } = await api.submitLookup({ code: REZZOAGLIO });
      const text = (query: Record<string, string>) => fetch(`${base}/index_ws.php?${new URLSearchParams({ key, ...query })}`).then((r) => r.text());
      assert.equal(await text({ token: lookup.id }), `WAIT|${lookup.id}`);

      const posted = await fetch(`${base}/index_ws.php`, { method: 'POST', body: new URLSearchParams({ key, cf: UNKNOWN }) }).then((r) => r.text());
      const token = posted.replace(/^OK\|/, '');
      assert.match(token, /^[A-Za-z0-9_-]{24}$/, posted);
      const seen = await api.getLookup(token);
      assert.deepEqual({ id: seen.id, code: seen.code, status: seen.status }, { id: token, code: UNKNOWN, status: 'queued' });

      h.worker.start();
      const found = await api.waitForLookup(lookup.id, { timeoutMs: 20_000 });
      assert.equal(found.status, 'found');
      assert.equal(found.pec, REZZOAGLIO_PEC);
      assert.equal(await text({ token: lookup.id }), `OK|${REZZOAGLIO_PEC}|pec trovata`);
      const missing = await api.waitForLookup(token, { timeoutMs: 20_000 });
      assert.equal(missing.status, 'not_found');
      assert.equal(await text({ token }), 'OK||pec non trovata');
      // Both submissions were charged once, whichever protocol took them.
      assert.equal(await balance(), 980);
    });
  });

  describe('GET /v1/lookups/{id}', () => {
    test('?wait long poll is woken by the answer the worker gives', async () => {
      const { lookup } = await api.submitLookup({ code: REZZOAGLIO });
      const wait = watchLongPoll(h, lookup.id);
      const polling = api.getLookup(lookup.id, { wait: 60 });
      assert.deepEqual(await wait.subscribed, { timeoutMs: 60_000 });
      // The request is held open and no worker has run: starting one is what answers it.
      const row = await h.store.db.selectFrom('requests').select('status').where('id', '=', lookup.id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'queued');
      h.worker.start();
      const answered = await polling;
      assert.equal(await wait.ended, 'answered', 'woken by the answer, not by the end of the wait');
      assert.equal(answered.status, 'found');
      assert.equal(answered.pec, REZZOAGLIO_PEC);
      assert.deepEqual(
        answered.addresses.map((a) => ({ pec: a.pec, source: a.source, kind: a.kind })),
        [{ pec: REZZOAGLIO_PEC, source: 'directory', kind: 'ente' }],
      );
      assert.ok(answered.answeredAt);
    });

    test('?wait on an answered lookup returns at once; without wait a pending lookup answers at once', async () => {
      const { lookup } = await api.submitLookup({ code: UNKNOWN });
      const pending = await call('GET', `/v1/lookups/${lookup.id}`);
      assert.equal(pending.status, 200);
      assert.equal(pending.body.status, 'queued');
      h.worker.start();
      assert.equal((await api.waitForLookup(lookup.id, { timeoutMs: 20_000 })).status, 'not_found');
      const wait = watchLongPoll(h, lookup.id);
      const again = await call('GET', `/v1/lookups/${lookup.id}?wait=60`);
      assert.equal(again.body.status, 'not_found');
      // Not held: the 60 s wait the route subscribed was cancelled when it answered, not run out.
      assert.deepEqual(await wait.subscribed, { timeoutMs: 60_000 });
      assert.equal(await wait.ended, 'cancelled', 'not held');
    });

    test('?wait on a pending lookup holds the request for the wait, then answers it as it is', async () => {
      const { lookup } = await api.submitLookup({ code: UNKNOWN });
      const wait = watchLongPoll(h, lookup.id);
      const held = await api.getLookup(lookup.id, { wait: 1 });
      // Held for the whole wait: the 1 s wait ran out, and the lookup is answered as it is.
      assert.deepEqual(await wait.subscribed, { timeoutMs: 1000 });
      assert.equal(await wait.ended, 'timed out', 'held until the wait ran out');
      assert.equal(held.status, 'queued');
      // waitForLookup gives up at its deadline and returns the lookup still pending.
      assert.equal((await api.waitForLookup(lookup.id, { timeoutMs: 1200 })).status, 'queued');
    });

    test('?wait over the maximum, negative or not a number: 400', async () => {
      const { lookup } = await api.submitLookup({ code: UNKNOWN });
      for (const wait of ['61', '-1', 'soon', '1.5']) assertProblem(await call('GET', `/v1/lookups/${lookup.id}?wait=${wait}`), 400, 'invalid_request');
      await rejectsWithProblem(api.getLookup(lookup.id, { wait: 3600 }), 400, 'invalid_request');
    });

    test("another account's lookup is a 404 exactly like an unknown id", async () => {
      const { lookup } = await api.submitLookup({ code: REZZOAGLIO });
      const other = await h.account();
      for (const [method, suffix] of [
        ['GET', ''],
        ['GET', '?wait=5'],
        ['DELETE', ''],
      ]) {
        const theirs = await call(method, `/v1/lookups/${lookup.id}${suffix}`, { key: other.key });
        const unknown = await call(method, `/v1/lookups/AAAAAAAAAAAAAAAAAAAAAAAA${suffix}`, { key: other.key });
        assertProblem(theirs, 404, 'not_found');
        assert.deepEqual(theirs.body, unknown.body);
        assert.deepEqual(
          [...theirs.headers.keys()].filter((k) => k !== 'date'),
          [...unknown.headers.keys()].filter((k) => k !== 'date'),
        );
      }
      await rejectsWithProblem(clientFor(other.key).getLookup(lookup.id), 404, 'not_found');
      assert.equal((await api.getLookup(lookup.id)).status, 'queued', 'the owner still has it');
      assert.equal(await balance(), 990);
    });
  });

  describe('DELETE /v1/lookups/{id}', () => {
    test('a pending lookup is cancelled and refunded, then gone; the code can be submitted again', async () => {
      const { lookup } = await api.submitLookup({ code: UNKNOWN });
      assert.equal(await balance(), 990);
      const cancelled = await api.cancelLookup(lookup.id);
      assert.equal(cancelled.id, lookup.id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(await balance(), 1000);
      assert.deepEqual((await ledgerRows()).slice(1), [
        { kind: 'charge', amountCents: -10, requestId: lookup.id },
        { kind: 'refund', amountCents: 10, requestId: lookup.id },
      ]);
      assertProblem(await call('GET', `/v1/lookups/${lookup.id}`), 404, 'not_found');
      assertProblem(await call('DELETE', `/v1/lookups/${lookup.id}`), 404, 'not_found');
      assert.deepEqual((await api.listLookups()).items, []);
      h.worker.start();
      const again = await api.submitLookup({ code: UNKNOWN });
      assert.equal(again.outcome, 'created');
      assert.notEqual(again.lookup.id, lookup.id);
      assert.equal(await balance(), 990);
    });

    test('an answered lookup is deleted and stays charged', async () => {
      const { lookup } = await api.submitLookup({ code: REZZOAGLIO });
      h.worker.start();
      await api.waitForLookup(lookup.id, { timeoutMs: 20_000 });
      const deleted = await api.cancelLookup(lookup.id);
      assert.equal(deleted.status, 'found');
      assert.equal(deleted.pec, REZZOAGLIO_PEC);
      assert.equal(await balance(), 990);
      assert.equal((await ledgerRows()).filter((e) => e.kind === 'refund').length, 0);
      await rejectsWithProblem(api.getLookup(lookup.id), 404, 'not_found');
      await rejectsWithProblem(api.cancelLookup(lookup.id), 404, 'not_found');
    });
  });

  describe('GET /v1/lookups', () => {
    test('filters by status and by code in any spelling', async () => {
      const found = await api.submitLookup({ code: REZZOAGLIO });
      h.clock.advance(1000);
      const missing = await api.submitLookup({ code: UNKNOWN });
      h.clock.advance(1000);
      h.worker.start();
      await api.waitForLookup(found.lookup.id, { timeoutMs: 20_000 });
      await api.waitForLookup(missing.lookup.id, { timeoutMs: 20_000 });
      await h.worker.stop(1000);
      const person = await api.submitLookup({ code: PERSON });
      const ids = (items: Lookup[]) => items.map((l) => l.id);
      assert.deepEqual(ids((await api.listLookups({ status: 'found' })).items), [found.lookup.id]);
      assert.deepEqual(ids((await api.listLookups({ status: 'not_found' })).items), [missing.lookup.id]);
      assert.deepEqual(ids((await api.listLookups({ status: 'queued' })).items), [person.lookup.id]);
      for (const spelling of ['it 0074 3110157', 'IT-00743110157', ' 007.431.101.57 ']) {
        assert.deepEqual(ids((await api.listLookups({ code: spelling })).items), [missing.lookup.id], spelling);
      }
      assert.deepEqual(ids((await api.listLookups({ code: 'rssmra 85t10 a562s' })).items), [person.lookup.id]);
      assert.deepEqual(ids((await api.listLookups({ code: REZZOAGLIO, status: 'queued' })).items), []);
      const all = await call('GET', '/v1/lookups');
      assert.equal(all.status, 200);
      assert.deepEqual(ids(all.body.items), [person.lookup.id, missing.lookup.id, found.lookup.id], 'newest first');
      assert.equal(all.body.nextCursor, null);
      for (const query of ['status=lost', 'limit=0', 'limit=101', 'limit=ten'])
        assertProblem(await call('GET', `/v1/lookups?${query}`), 400, 'invalid_request');
    });

    test('cursor paging over 120 lookups: no duplicates, no gaps, stable while new lookups arrive', async () => {
      const rich = await h.account({ initialCreditCents: 100_000 });
      const client = clientFor(rich.key);
      const made: string[] = [];
      for (let i = 1; i <= 120; i++) {
        made.push((await client.submitLookup({ code: cf11(i) })).lookup.id);
        // Several lookups share each millisecond: the cursor must order within one.
        if (i % 7 === 0) h.clock.advance(1);
      }
      const seen: Lookup[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await client.listLookups({ limit: 25, cursor });
        seen.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        if (++pages === 1) {
          // Lookups made while paging are newer than the cursor: they do not shift later pages.
          for (let i = 121; i <= 123; i++) await client.submitLookup({ code: cf11(i) });
        }
      } while (cursor);
      assert.equal(pages, 5);
      assert.equal(seen.length, 120);
      assert.equal(new Set(seen.map((l) => l.id)).size, 120, 'no duplicates');
      assert.deepEqual(seen.map((l) => l.id).sort(), [...made].sort(), 'no gaps');
      // Newest first; lookups of one millisecond come in the order of their (random) ids.
      const times = seen.map((l) => Date.parse(l.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
        'newest first',
      );
      assert.deepEqual(
        seen.slice(0, 1).map((l) => l.code),
        [cf11(120)],
        'the last millisecond holds only the last lookup',
      );

      let counted = 0;
      for await (const _ of client.iterateLookups({ limit: 100 })) counted++;
      assert.equal(counted, 123);

      for (const bad of ['nope', '!!', Buffer.from('12:has space').toString('base64url'), 'x'.repeat(201)]) {
        assertProblem(await call('GET', `/v1/lookups?cursor=${encodeURIComponent(bad)}`, { key: rich.key }), 400, 'invalid_request');
      }
    });
  });

  describe('account', () => {
    test('GET /v1/account: the account of the key with its balance', async () => {
      await api.submitLookup({ code: REZZOAGLIO });
      await api.submitLookup({ code: UNKNOWN });
      const account = await call('GET', '/v1/account');
      assert.equal(account.status, 200);
      assert.deepEqual(account.body, {
        id: accountId,
        name: account.body.name,
        billingMode: 'prepaid',
        priceCents: 10,
        creditLimitCents: null,
        balanceCents: 980,
        balance: '9.80',
      });
      const owing = await h.account({ billingMode: 'postpaid', priceCents: 25, initialCreditCents: 0, creditLimitCents: 5000 });
      const postpaid = clientFor(owing.key);
      await postpaid.submitLookup({ code: REZZOAGLIO });
      assert.deepEqual(await postpaid.account(), {
        id: owing.id,
        name: (await postpaid.account()).name,
        billingMode: 'postpaid',
        priceCents: 25,
        creditLimitCents: 5000,
        balanceCents: -25,
        balance: '-0.25',
      });
    });

    test('GET /v1/account/ledger: oldest first, cursor paging', async () => {
      const a = await api.submitLookup({ code: REZZOAGLIO });
      h.clock.advance(1000);
      const b = await api.submitLookup({ code: UNKNOWN });
      await api.cancelLookup(b.lookup.id);
      const first = await call('GET', '/v1/account/ledger?limit=2');
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.items.map((e: { kind: string }) => e.kind),
        ['topup', 'charge'],
      );
      assert.ok(first.body.nextCursor);
      const entries = [];
      for await (const entry of api.iterateLedger({ limit: 1 })) entries.push(entry);
      assert.deepEqual(
        entries.map((e) => [e.kind, e.amountCents, e.lookupId]),
        [
          ['topup', 1000, null],
          ['charge', -10, a.lookup.id],
          ['charge', -10, b.lookup.id],
          ['refund', 10, b.lookup.id],
        ],
      );
      assert.equal(entries[2].createdAt, new Date(h.clock.now()).toISOString());
      assert.equal(new Set(entries.map((e) => e.id)).size, 4);
      const last = await api.ledger({ limit: 2, cursor: first.body.nextCursor });
      assert.deepEqual(
        last.items.map((e) => e.kind),
        ['charge', 'refund'],
      );
      assert.equal(last.nextCursor, null);
      for (const query of ['cursor=nope', 'limit=0', 'limit=501']) assertProblem(await call('GET', `/v1/account/ledger?${query}`), 400, 'invalid_request');
    });

    test('GET /v1/account/usage?month=: lookups by status and net charges of the month', async () => {
      const found = await api.submitLookup({ code: REZZOAGLIO });
      const cancelled = await api.submitLookup({ code: UNKNOWN });
      await api.cancelLookup(cancelled.lookup.id);
      await api.submitLookup({ code: PERSON });
      h.worker.start();
      await api.waitForLookup(found.lookup.id, { timeoutMs: 20_000 });
      await h.worker.stop(1000);
      const usage = await api.usage('2026-11');
      assert.equal(usage.month, '2026-11');
      assert.equal(usage.lookups, 3);
      assert.equal(usage.byStatus.found, 1);
      assert.equal(usage.byStatus.cancelled, 1);
      assert.equal((usage.byStatus.queued ?? 0) + (usage.byStatus.not_found ?? 0), 1);
      assert.equal(usage.chargedCents, 20, 'two charges kept, one refunded');
      assert.deepEqual(await api.usage('2026-10'), { month: '2026-10', lookups: 0, byStatus: {}, chargedCents: 0 });
      for (const month of ['2026-13', '2026-1', 'november', '']) assertProblem(await call('GET', `/v1/account/usage?month=${month}`), 400, 'invalid_request');
      assertProblem(await call('GET', '/v1/account/usage'), 400, 'invalid_request');
    });
  });

  describe('errors', () => {
    test('unknown endpoints and methods are 404 problems', async () => {
      assertProblem(await call('GET', '/v1/nothing-here'), 404, 'not_found');
      assertProblem(await call('PUT', '/v1/lookups'), 404, 'not_found');
      assertProblem(await call('GET', '/v1/nothing-here', { key: null }), 401, 'unauthorized');
    });

    test('a 429 is a problem with Retry-After; the SDK retries it once', async () => {
      const limited = await createHarness(dialect, { rateLimitPerKey: 60 });
      try {
        const account = await limited.account();
        const url = await limited.app.listen({ port: 0, host: '127.0.0.1' });
        // The bucket holds 10 requests and the manual clock never refills it.
        for (let i = 0; i < 10; i++) assert.equal((await rawCall(url, 'GET', '/v1/account', { key: account.key })).status, 200);
        const refused = await rawCall(url, 'GET', '/v1/account', { key: account.key });
        assertProblem(refused, 429, 'rate_limited');
        assert.equal(refused.headers.get('retry-after'), '10');
        const noRetry = await rejectsWithProblem(createApiClient({ baseUrl: url, key: account.key, maxRetryAfterMs: 0 }).account(), 429, 'rate_limited');
        assert.equal(noRetry.retryAfterMs, 10_000);
        // A fetch that lets the server's minute pass when told to wait: the retry then succeeds.
        let calls = 0;
        const waited: typeof fetch = async (input, init) => {
          calls++;
          const r = await fetch(input, init);
          if (r.status !== 429) return r;
          limited.clock.advance(60_000);
          return new Response(await r.text(), { status: 429, headers: { 'content-type': r.headers.get('content-type')!, 'retry-after': '0' } });
        };
        const account2 = await createApiClient({ baseUrl: url, key: account.key, fetch: waited }).account();
        assert.equal(account2.id, account.id);
        assert.equal(calls, 2);
      } finally {
        await limited.close();
      }
    });
  });

  describe('SDK', () => {
    test('openapi() and offersJsonApi(); a base URL may name /index_ws.php or /v1', async () => {
      const document = await api.openapi();
      assert.equal(document.openapi, '3.1.0');
      assert.ok(document.paths['/v1/lookups']);
      assert.equal(await api.offersJsonApi(), true);
      assert.equal(await createApiClient({ baseUrl: `${base}/elsewhere/`, key }).offersJsonApi(), false);
      for (const baseUrl of [`${base}/index_ws.php`, `${base}/v1`, `${base}/v1/`, `${base}/`]) {
        assert.equal((await createApiClient({ baseUrl, key }).account()).id, accountId, baseUrl);
      }
    });
  });
});

describe('SDK transport', () => {
  const problem429 = () =>
    new Response(JSON.stringify({ type: '/problems/rate-limited', title: 'Too many requests', status: 429, code: 'rate_limited' }), {
      status: 429,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '0' },
    });
  const account = () => new Response(JSON.stringify({ id: 'acc_1' }), { status: 200, headers: { 'content-type': 'application/json' } });

  test('a 429 is retried once, then thrown; a Retry-After over the bound is not waited for', async () => {
    const answers = [problem429(), account()];
    let calls = 0;
    const once = createApiClient({ baseUrl: 'http://api.test', key: 'k', fetch: async () => (calls++, answers.shift()!) });
    assert.equal((await once.account()).id, 'acc_1');
    assert.equal(calls, 2);

    calls = 0;
    const always = createApiClient({ baseUrl: 'http://api.test', key: 'k', fetch: async () => (calls++, problem429()) });
    await rejectsWithProblem(always.account(), 429, 'rate_limited');
    assert.equal(calls, 2, 'one retry only');

    calls = 0;
    const far = createApiClient({
      baseUrl: 'http://api.test',
      key: 'k',
      fetch: async () => (calls++, new Response('{}', { status: 429, headers: { 'retry-after': '3600' } })),
    });
    const error = await far.account().catch((e: unknown) => e);
    assert.ok(error instanceof ApiProblemError);
    assert.deepEqual(
      { type: error.type, code: error.code, retryAfterMs: error.retryAfterMs },
      { type: 'about:blank', code: 'http_429', retryAfterMs: 3_600_000 },
    );
    assert.equal(calls, 1, 'not retried');
  });

  test('errors that are not problem+json, network failures and bad bodies are typed and readable', async () => {
    const proxy = createApiClient({
      baseUrl: 'http://api.test',
      key: 'secret-key',
      fetch: async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    });
    const e502 = await proxy.account().catch((e: unknown) => e);
    assert.ok(e502 instanceof ApiProblemError);
    assert.deepEqual(
      { type: e502.type, status: e502.status, code: e502.code, title: e502.title },
      { type: 'about:blank', status: 502, code: 'http_502', title: 'Bad Gateway' },
    );

    const port = await closedPort();
    const down = createApiClient({ baseUrl: `http://127.0.0.1:${port}`, key: 'secret-key', timeoutMs: 5000 });
    const unreachable = await down.submitLookup({ code: REZZOAGLIO }).catch((e: unknown) => e);
    assert.ok(unreachable instanceof ApiNetworkError);
    assert.equal(unreachable.code, 'unreachable');
    assert.equal(unreachable.message, `POST http://127.0.0.1:${port}/v1/lookups: cannot reach the server (ECONNREFUSED)`);
    assert.ok(!unreachable.message.includes('secret-key'));

    // A server that never answers (the timer keeps the process alive as a real socket would).
    const never: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        const socket = setTimeout(() => {}, 10_000);
        init!.signal!.addEventListener('abort', () => (clearTimeout(socket), reject(init!.signal!.reason)));
      });
    const slow = createApiClient({ baseUrl: 'http://api.test', key: 'k', timeoutMs: 50, fetch: never });
    const timeout = await slow.account().catch((e: unknown) => e);
    assert.ok(timeout instanceof ApiNetworkError);
    assert.equal(timeout.code, 'timeout');

    const html = createApiClient({ baseUrl: 'http://api.test', key: 'k', fetch: async () => new Response('<html></html>', { status: 200 }) });
    const bad = await html.account().catch((e: unknown) => e);
    assert.ok(bad instanceof ApiNetworkError);
    assert.equal(bad.code, 'bad_response');
    assert.equal(await html.offersJsonApi(), false);

    const stop = new AbortController();
    stop.abort(new Error('interrupted'));
    await assert.rejects(
      createApiClient({
        baseUrl: 'http://api.test',
        key: 'k',
        fetch: async (_u, init) => {
          init?.signal?.throwIfAborted();
          return account();
        },
      }).account({ signal: stop.signal }),
      /interrupted/,
    );
    assert.throws(() => createApiClient({ baseUrl: '127.0.0.1 8080', key: 'k' }), /^TypeError: not a valid server URL: "127.0.0.1 8080"/);
    assert.throws(() => createApiClient({ baseUrl: 'api.test:8080', key: 'k' }), /the server URL must be http or https/);
  });
});
