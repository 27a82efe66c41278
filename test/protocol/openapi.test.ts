import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import OpenAPIBackend from 'openapi-backend';
import type { Operation } from 'openapi-backend';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';

/**
 * /openapi.json against independent tools: the document validates as OpenAPI 3.1, documents
 * every /v1 route the app serves, and real HTTP responses match the schemas it declares for
 * their operation, status and content type.
 */

const SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));
const REZZOAGLIO = '82003050109';
const UNKNOWN = '00743110157';
const PERSON = 'RSSMRA85T10A562S';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options'] as const;

type Definition = {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
};

/**
 * openapi-backend in strict mode: every $ref must resolve and every schema must compile with Ajv,
 * or init() throws. Its own document check is replaced by the 3.1 validator: openapi-backend
 * 5.21.2 checks against openapi-schema-validator 12, which ships only the 2.0 and 3.0 schemas and
 * so rejects 3.1's `type: ["string", "null"]`. It also validates only `application/json`
 * bodies, so each documented `application/problem+json` schema is offered under that name too.
 */
async function backendFor(definition: Definition): Promise<OpenAPIBackend.default> {
  const copy = structuredClone(definition);
  for (const operations of Object.values(copy.paths)) {
    for (const method of METHODS) {
      for (const response of Object.values(operations[method]?.responses ?? {})) {
        const problem = response.content?.['application/problem+json'];
        if (problem && !response.content!['application/json']) response.content!['application/json'] = problem;
      }
    }
  }
  const api = new OpenAPIBackend.default({ definition: copy as never, strict: true, validate: true });
  api.validateDefinition = () => api.document;
  await api.init();
  return api;
}

/** The app's routes as `METHOD /path/{param}`, read from Fastify's route tree. */
function servedRoutes(app: FastifyInstance, prefix: string): string[] {
  const found: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─ ]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth - 1;
    const path = (stack[depth - 2] ?? '') + m[2];
    stack[depth - 1] = path;
    if (!path.startsWith(prefix)) continue;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) {
      found.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return found.sort();
}

function documentedRoutes(definition: Definition): string[] {
  return Object.entries(definition.paths)
    .flatMap(([path, operations]) => METHODS.filter((m) => operations[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe('the OpenAPI document', () => {
  let h: Harness;
  let definition: Definition;
  before(async () => {
    h = await createHarness('sqlite');
    const r = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(r.statusCode, 200, r.body.slice(0, 500));
    assert.match(r.headers['content-type'] as string, /^application\/json/);
    definition = r.json();
  });
  after(() => h.close());

  test('is valid OpenAPI 3.1 for independent validators', async () => {
    assert.equal(definition.openapi, '3.1.0');
    const result = await new Validator().validate(definition as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
    const api = await backendFor(definition);
    assert.ok(api.initialized, 'openapi-backend (strict) dereferenced it and compiled every schema');
  });

  test('documents every route of the JSON API, and only routes that exist', () => {
    const served = servedRoutes(h.app, '/v1/');
    for (const route of [
      'POST /v1/lookups',
      'GET /v1/lookups',
      'GET /v1/lookups/{id}',
      'DELETE /v1/lookups/{id}',
      'GET /v1/account',
      'GET /v1/account/ledger',
      'GET /v1/account/usage',
    ]) {
      assert.ok(served.includes(route), `${route} is served (the route reader works)`);
    }
    assert.deepEqual(documentedRoutes(definition), served);
  });

  test('every operation has an operationId, a summary, a tag and the bearer scheme', () => {
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(definition.paths)) {
      for (const method of METHODS) {
        const op = operations[method] as { operationId?: string; summary?: string; tags?: string[]; responses: object } | undefined;
        if (!op) continue;
        assert.ok(op.operationId, `${method} ${path} has an operationId`);
        assert.ok(!ids.has(op.operationId), `${op.operationId} is unique`);
        ids.add(op.operationId);
        assert.ok(op.summary, `${method} ${path} has a summary`);
        assert.ok(op.tags?.length, `${method} ${path} has a tag`);
        assert.ok(
          Object.keys(op.responses).some((s) => s.startsWith('2')),
          `${method} ${path} documents a success`,
        );
      }
    }
    assert.deepEqual((definition as unknown as { security: unknown }).security, [{ bearer: [] }]);
  });

  test('GET /docs serves the UI from this server, with no CDN', async () => {
    let r = await h.app.inject({ method: 'GET', url: '/docs' });
    if (r.statusCode >= 300 && r.statusCode < 400)
      r = await h.app.inject({ method: 'GET', url: new URL(r.headers.location as string, 'http://x/docs').pathname });
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /^text\/html/);
    assert.match(r.body, /swagger-ui/i);
    assert.doesNotMatch(r.body, /https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, 'no absolute or protocol-relative URL');
    // Every script and stylesheet it loads is served here.
    const assets = [...r.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1], 'http://x/docs/').pathname);
    assert.ok(assets.length >= 3);
    for (const asset of assets) assert.equal((await h.app.inject({ method: 'GET', url: asset })).statusCode, 200, asset);
    const init = await h.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.doesNotMatch(init.body.replace(/\/\/ .*$/gm, ''), /https?:\/\//, 'the initializer fetches nothing from elsewhere (no validator badge)');
    assert.match(init.body, /validatorUrl: null/);
  });
});

await eachDialect(describe, 'real responses match the document', (dialect) => {
  let h: Harness;
  let base: string;
  let key: string;
  let api: OpenAPIBackend.default;
  before(async () => {
    h = await createHarness(dialect);
    await importDataset(h.store, h.clock, { file: SAMPLE, format: 'ipa-enti', name: 'ipa-enti-test' });
    ({ key } = await h.account());
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const definition = (await (await fetch(`${base}/openapi.json`)).json()) as Definition;
    api = await backendFor(definition);
  });
  after(() => h.close());

  /** Sends a real request (a string body as it is), then checks status, content type and body against its operation. */
  async function check(method: string, url: string, init: { body?: unknown; auth?: string | null; headers?: Record<string, string>; status: number }) {
    const auth = init.auth === undefined ? key : init.auth;
    const r = await fetch(base + url, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const body: any = await r.json();
    assert.equal(r.status, init.status, `${method} ${url}: ${JSON.stringify(body)}`);
    const [path, query = ''] = url.split('?');
    const operation = api.matchOperation({ method, path, query, headers: {} }) as Operation | undefined;
    assert.ok(operation, `${method} ${path} is in the document`);
    assert.ok(operation.operationId, `${method} ${path} has an operationId`);
    const documented = (operation.responses as Record<string, { content?: Record<string, unknown> }>)[String(r.status)];
    assert.ok(documented, `${operation.operationId} documents HTTP ${r.status}`);
    const mediaType = (r.headers.get('content-type') ?? '').split(';')[0].trim();
    assert.ok(
      documented.content?.[mediaType],
      `${operation.operationId} ${r.status} is documented as ${mediaType} (documented: ${Object.keys(documented.content ?? {})})`,
    );
    const result = api.validateResponse(body, operation, r.status);
    assert.equal(result.errors ?? null, null, `${operation.operationId} ${r.status}: ${JSON.stringify(result.errors)}`);
    return body;
  }

  test('lookups: created, duplicate, replayed, pending, long-poll answer, list, cancel', async () => {
    const created = await check('POST', '/v1/lookups', {
      body: { code: REZZOAGLIO, reference: 'recupero crediti', callbackUrl: 'https://example.com/hook' },
      status: 202,
    });
    await check('POST', '/v1/lookups', { body: { code: `IT ${REZZOAGLIO}` }, status: 200 });
    const pending = await check('POST', '/v1/lookups', { body: { code: UNKNOWN }, headers: { 'idempotency-key': 'k-1' }, status: 202 });
    await check('POST', '/v1/lookups', { body: { code: UNKNOWN }, headers: { 'idempotency-key': 'k-1' }, status: 200 });
    await check('GET', `/v1/lookups/${pending.id}`, { status: 200 });
    const cancelled = await check('DELETE', `/v1/lookups/${pending.id}`, { status: 200 });
    assert.equal(cancelled.status, 'cancelled');
    const waiting = check('GET', `/v1/lookups/${created.id}?wait=30`, { status: 200 });
    h.worker.start();
    const answered = await waiting;
    assert.equal(answered.status, 'found');
    assert.equal(answered.addresses.length, 1, 'an address is in the checked body');
    await check('POST', '/v1/lookups', { body: { code: UNKNOWN }, status: 202 });
    const list = await check('GET', '/v1/lookups?limit=1', { status: 200 });
    assert.ok(list.nextCursor);
    await check('GET', `/v1/lookups?status=found&cursor=${list.nextCursor}`, { status: 200 });
    await check('DELETE', `/v1/lookups/${created.id}`, { status: 200 });
    await h.worker.stop(1000);
  });

  test('account, ledger and usage', async () => {
    await check('GET', '/v1/account', { status: 200 });
    const page = await check('GET', '/v1/account/ledger?limit=2', { status: 200 });
    assert.ok(page.items.length > 0);
    const usage = await check('GET', '/v1/account/usage?month=2026-11', { status: 200 });
    assert.ok(usage.lookups > 0, 'a usage with counts is in the checked body');
  });

  test('problems: 400, 401, 402, 404, 413, 415, 422', async () => {
    await check('POST', '/v1/lookups', { body: { code: REZZOAGLIO, nope: 1 }, status: 400 });
    await check('GET', '/v1/account/usage?month=2026-13', { status: 400 });
    await check('GET', '/v1/lookups?cursor=nope', { status: 400 });
    await check('GET', '/v1/account', { auth: null, status: 401 });
    await check('GET', '/v1/lookups/AAAAAAAAAAAAAAAAAAAAAAAA', { auth: 'cp_wrong', status: 401 });
    const poor = await h.account({ initialCreditCents: 0 });
    await check('POST', '/v1/lookups', { body: { code: UNKNOWN }, auth: poor.key, status: 402 });
    await check('GET', '/v1/lookups/AAAAAAAAAAAAAAAAAAAAAAAA', { status: 404 });
    await check('DELETE', '/v1/lookups/AAAAAAAAAAAAAAAAAAAAAAAA', { status: 404 });
    await check('POST', '/v1/lookups', { body: { code: UNKNOWN, reference: 'x'.repeat(70_000) }, status: 413 });
    await check('POST', '/v1/lookups', { body: REZZOAGLIO, headers: { 'content-type': 'text/plain' }, status: 415 });
    await check('POST', '/v1/lookups', { body: { code: '82003050108' }, status: 422 });
    await check('POST', '/v1/lookups', { body: { code: UNKNOWN, callbackUrl: 'http://127.0.0.1/' }, status: 422 });
    await check('POST', '/v1/lookups', { body: { code: PERSON }, headers: { 'idempotency-key': 'k-2' }, status: 202 });
    await check('POST', '/v1/lookups', { body: { code: UNKNOWN }, headers: { 'idempotency-key': 'k-2' }, status: 422 });
  });

  test('batches: a JSON upload with every kind of element the server takes is a valid request, and answered 202', async () => {
    const upload = [REZZOAGLIO, 743110157, { code: PERSON, ref: 7 }, null, true, ['x'], { nome: 'senza codice' }, { code: false }];
    const validated = api.validateRequest(
      { method: 'POST', path: '/v1/batches', query: {}, headers: { 'content-type': 'application/json' }, body: upload },
      'createBatch',
    );
    assert.equal(validated.errors ?? null, null, JSON.stringify(validated.errors));
    const batch = await check('POST', '/v1/batches', { body: upload, status: 202 });
    assert.deepEqual([batch.rows, batch.validRows, batch.invalidRows], [8, 3, 5]);
    assert.ok(
      api.validateRequest(
        { method: 'POST', path: '/v1/batches', query: {}, headers: { 'content-type': 'application/json' }, body: { code: REZZOAGLIO } },
        'createBatch',
      ).errors?.length,
      'an object instead of an array is refused by the document too',
    );
  });

  test('the check can fail: malformed bodies are caught', () => {
    const lookup = {
      id: 'x',
      code: REZZOAGLIO,
      kind: 'cf11',
      status: 'found',
      pec: null,
      addresses: [],
      reference: null,
      callbackUrl: null,
      createdAt: 'now',
      answeredAt: null,
      error: null,
    };
    assert.equal(api.validateResponse(lookup, 'getLookup', 200).errors ?? null, null);
    assert.ok(api.validateResponse({ ...lookup, status: 'lost' }, 'getLookup', 200).errors?.length);
    assert.ok(api.validateResponse({ ...lookup, addresses: undefined }, 'getLookup', 200).errors?.length);
    assert.ok(
      api.validateResponse({ type: '/problems/not-found', title: 'No such resource', status: '404', code: 'not_found' }, 'getLookup', 404).errors?.length,
    );
    assert.ok(api.validateResponse({ title: 'No such resource', status: 404, code: 'not_found' }, 'getLookup', 404).errors?.length);
  });
});
