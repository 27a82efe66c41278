import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAPIBackend from 'openapi-backend';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createHarness } from '../helpers/services.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';

const h = await createHarness('sqlite');
after(() => h.close());
await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
const { key } = await h.account();
const auth = { authorization: `Bearer ${key}` };
const definition = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();

test('/openapi.json is a valid OpenAPI 3.1 document for an independent validator', async () => {
  assert.equal(definition.openapi, '3.1.0');
  // openapi-backend validates documents against the 3.0 schema only; this validator knows 3.1.
  const result = await new Validator().validate(definition);
  assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
  for (const path of ['/v1/lookups', '/v1/lookups/{id}', '/v1/account', '/v1/account/ledger', '/v1/account/usage']) {
    assert.ok(definition.paths[path], `${path} documented`);
  }
});

test('real responses match the document', async () => {
  // quick: skip openapi-backend's own (3.0-only) document check; response schemas are still compiled.
  const api = new OpenAPIBackend.default({ definition, quick: true, validate: true });
  await api.init();
  const check = async (method: string, url: string, payload?: unknown) => {
    const r = await h.app.inject({ method: method as 'GET', url, headers: auth, payload: payload as object });
    const [path, query] = url.split('?');
    const operation = api.matchOperation({ method, path, query: query ?? '', headers: {} });
    assert.ok(operation, `${method} ${path} is in the document`);
    assert.ok(operation.operationId, `${method} ${path} has an operationId`);
    const result = api.validateResponse(r.json(), operation.operationId, r.statusCode);
    assert.equal(result.errors ?? null, null, `${method} ${url} ${r.statusCode}: ${JSON.stringify(result.errors)}`);
    return r;
  };
  const created = (await check('POST', '/v1/lookups', { code: '82003050109' })).json();
  h.worker.start();
  await check('GET', `/v1/lookups/${created.id}?wait=10`);
  await check('POST', '/v1/lookups', { code: '82003050109' });
  await check('GET', '/v1/lookups');
  await check('GET', '/v1/account');
  await check('GET', '/v1/account/ledger');
  await check('GET', '/v1/account/usage?month=2026-11');
  await check('GET', '/v1/lookups/unknown-id');
  await check('POST', '/v1/lookups', { code: 'bad' });
  await check('POST', '/v1/lookups', { nope: 1 });
  await check('DELETE', `/v1/lookups/${created.id}`);
  // The check can fail: a lookup without its status does not match.
  const broken = { ...created, status: undefined };
  assert.ok(api.validateResponse(broken, 'getLookup', 200).errors?.length, 'a malformed body is caught');
});
