import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAPIBackend from 'openapi-backend';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createWebhookHarness } from './webhook-harness.ts';
import { startReceiver } from './receiver.ts';

const h = await createWebhookHarness('sqlite');
const r = await startReceiver();
after(async () => {
  await r.close();
  await h.close();
});
await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
const { key } = await h.account();
const definition = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();

test('/openapi.json documents the webhook endpoints and schemas', () => {
  for (const path of [
    '/v1/account/webhook',
    '/v1/account/webhook/rotate-secret',
    '/v1/lookups/{id}/deliveries',
    '/v1/webhooks/deliveries',
    '/v1/webhooks/deliveries/{id}',
  ]) {
    assert.ok(definition.paths[path], `${path} documented`);
  }
  for (const schema of ['AccountWebhook', 'AccountWebhookUpdate', 'WebhookDelivery', 'WebhookAttempt', 'WebhookDeliveryList']) {
    assert.ok(definition.components.schemas[schema], `${schema} is a named schema`);
  }
});

test('real webhook responses match the document', async () => {
  const api = new OpenAPIBackend.default({ definition, quick: true, validate: true });
  await api.init();
  const check = async (method: string, url: string, payload?: unknown) => {
    const res = await h.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, payload: payload as object });
    const [path, query] = url.split('?');
    const operation = api.matchOperation({ method, path, query: query ?? '', headers: {} });
    assert.ok(operation?.operationId, `${method} ${path} is in the document with an operationId`);
    const result = api.validateResponse(res.json(), operation.operationId, res.statusCode);
    assert.equal(result.errors ?? null, null, `${method} ${url} ${res.statusCode}: ${JSON.stringify(result.errors)}`);
    return res.json();
  };
  await check('GET', '/v1/account/webhook');
  await check('PUT', '/v1/account/webhook', { url: `${r.url}/hook` });
  await check('PUT', '/v1/account/webhook', { url: 'ftp://nope' });
  await check('POST', '/v1/account/webhook/rotate-secret');
  const ran = h.nextRun();
  h.webhooks.start();
  const created = await check('POST', '/v1/lookups', { code: '82003050109' });
  h.worker.start();
  await ran;
  const log = await check('GET', `/v1/lookups/${created.id}/deliveries`);
  assert.equal(log.items[0].status, 'delivered');
  await check('GET', '/v1/webhooks/deliveries?limit=1');
  await check('GET', `/v1/webhooks/deliveries/${log.items[0].id}`);
  await check('GET', '/v1/webhooks/deliveries/unknown');
  await check('GET', '/v1/lookups/unknown/deliveries');
  await check('DELETE', '/v1/account/webhook');
});
