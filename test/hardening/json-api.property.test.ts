import { describe, test, before, after } from 'node:test';
import fc from 'fast-check';
import { createHarness, type Harness } from '../helpers/services.ts';
import { assertProblemOrSuccess, hostileBytes, hostileText } from './answers.ts';

/**
 * Hostile input on every /v1 endpoint, generated: path parameters, query strings, JSON bodies
 * of any shape, bodies that are not JSON, odd content types and Authorization headers. Every
 * answer is a success or an RFC 9457 problem with a 4xx status: never a 5xx.
 */

let h: Harness;
let key: string;
let lookupId: string;

before(async () => {
  h = await createHarness('sqlite', { maxWaitSeconds: 1, connectionTimeoutMs: 0, allowPrivateCallbacks: false });
  ({ key } = await h.account({ billingMode: 'postpaid', creditLimitCents: null }));
  const created = await h.app.inject({ method: 'POST', url: '/v1/lookups', headers: { authorization: `Bearer ${key}` }, payload: { code: '82003050109' } });
  lookupId = JSON.parse(created.body).id;
});
after(() => h.close());

const param = fc.oneof(
  { weight: 3, arbitrary: hostileText.filter((s) => s.length > 0) },
  { weight: 1, arbitrary: fc.constant('$LOOKUP') },
  { weight: 1, arbitrary: fc.constantFrom('bat_x', 'whd_0', 'a'.repeat(65), '%2F..%2F', '..', '.') },
);

/** Paths with their methods; {p} is filled with a generated parameter. */
const ROUTES: [string, string][] = [
  ['POST', '/v1/lookups'],
  ['GET', '/v1/lookups/{p}'],
  ['GET', '/v1/lookups/{p}?wait={q}'],
  ['DELETE', '/v1/lookups/{p}'],
  ['GET', '/v1/lookups?status={q}&code={q}&limit={q}&cursor={q}'],
  ['GET', '/v1/lookups?cursor={q}'],
  ['GET', '/v1/account'],
  ['GET', '/v1/account/ledger?limit={q}&cursor={q}'],
  ['GET', '/v1/account/usage?month={q}'],
  ['GET', '/v1/account/webhook'],
  ['PUT', '/v1/account/webhook'],
  ['DELETE', '/v1/account/webhook'],
  ['POST', '/v1/account/webhook/rotate-secret'],
  ['GET', '/v1/lookups/{p}/deliveries'],
  ['GET', '/v1/webhooks/deliveries?status={q}&limit={q}&cursor={q}'],
  ['GET', '/v1/webhooks/deliveries/{p}'],
  ['GET', '/v1/batches?limit={q}&cursor={q}'],
  ['GET', '/v1/batches/{p}'],
  ['GET', '/v1/batches/{p}/results?format={q}'],
  ['PATCH', '/v1/lookups/{p}'],
  ['GET', '/v1/{p}'],
];

const jsonValue = fc.jsonValue({ maxDepth: 3 });
/** JSON bodies shaped like the real ones, with hostile values, extra fields or missing ones. */
const jsonBody = fc.oneof(
  fc.record(
    {
      code: fc.oneof(hostileText, fc.constantFrom('82003050109', 'RSSMRA85T10A562S', 'IT00743110157')),
      reference: fc.option(hostileText, { nil: undefined }),
      callbackUrl: fc.option(
        fc.oneof(
          hostileText,
          fc.webUrl(),
          fc.constantFrom('http://127.0.0.1/x', 'http://[::1]/', 'file:///etc/passwd', 'http://169.254.169.254/latest', 'https://example.com:99999/'),
        ),
        { nil: undefined },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    { url: fc.oneof(hostileText, fc.webUrl(), fc.constantFrom('http://localhost/', 'https://10.0.0.1/')), secret: fc.option(hostileText, { nil: undefined }) },
    { requiredKeys: [] },
  ),
  fc.dictionary(hostileText, jsonValue, { maxKeys: 4 }),
  jsonValue,
);

type Sent = { type?: string; payload?: string | Buffer };
const body: fc.Arbitrary<Sent> = fc.oneof(
  { weight: 4, arbitrary: jsonBody.map((b): Sent => ({ type: 'application/json', payload: JSON.stringify(b) })) },
  { weight: 1, arbitrary: hostileBytes.map((b): Sent => ({ type: 'application/json', payload: b })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'application/xml',
          '',
        ),
        hostileBytes,
      )
      .map(([type, b]): Sent => ({ type: type || undefined, payload: b })),
  },
  { weight: 1, arbitrary: fc.constant<Sent>({}) },
);

const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constant('$KEY') },
  { weight: 1, arbitrary: hostileText.map((t) => `Bearer ${t}`) },
  { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Basic dXNlcjpwYXNz', `bearer   ${'x'.repeat(300)}`) },
);

function fill(template: string, p: string, q: () => string): string {
  return template.replaceAll('{p}', encodeURIComponent(p === '$LOOKUP' ? lookupId : p)).replace(/\{q\}/g, () => encodeURIComponent(q()));
}

describe('JSON API: generated hostile requests', () => {
  test('every endpoint, any parameter, body and header: a success or a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        param,
        fc.array(fc.oneof(hostileText, fc.constantFrom('1', '0', '-1', '100', '1e3', 'found', 'csv', 'xlsx', '2026-11', 'eyJ9')), {
          minLength: 4,
          maxLength: 4,
        }),
        body,
        authorization,
        fc.option(hostileText, { nil: undefined }),
        async ([method, template], p, qs, sent, auth, idempotency) => {
          let i = 0;
          const url = fill(template, p, () => qs[i++ % qs.length]);
          const headers: Record<string, string> = { authorization: auth === '$KEY' ? `Bearer ${key}` : auth.replace(/[\r\n]/g, '') };
          if (sent.type !== undefined) headers['content-type'] = sent.type;
          if (idempotency !== undefined) headers['idempotency-key'] = idempotency.replace(/[^\x20-\x7e]/g, '');
          const withBody = method !== 'GET' && method !== 'DELETE';
          const r = await h.app.inject({ method: method as 'GET', url, headers, payload: withBody ? sent.payload : undefined });
          assertProblemOrSuccess(r, `${method} ${url.slice(0, 200)} ${sent.type ?? ''} ${String(sent.payload ?? '').slice(0, 200)}`);
        },
      ),
      { numRuns: 400 },
    );
  });
});
