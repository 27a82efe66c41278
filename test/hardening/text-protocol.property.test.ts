import { describe, test, before, after } from 'node:test';
import fc from 'fast-check';
import { createHarness, type Harness } from '../helpers/services.ts';
import { assertTextAnswer, hostileBytes, hostileText } from './answers.ts';

/**
 * Hostile input on /index_ws.php, generated: any method, query string and body, in any content
 * type (form, multipart well-formed or not, text, none, nonsense), fields repeated, huge,
 * binary, in legacy encodings, with a real key or a made-up one. Every answer is one protocol
 * line with a 2xx/4xx status: never a 5xx, an exception or a hang.
 */

const FIELDS = ['key', 'cf', 'cf-delete', 'saldo', 'token', 'x'] as const;
const METHODS = ['GET', 'POST', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const VALID_CODES = ['82003050109', '00743110157', 'RSSMRA85T10A562S', 'it 00138020078', 'rssmra85t10a562s'];

let h: Harness;
let key: string;
let token: string;

before(async () => {
  h = await createHarness('sqlite', { bodyLimitBytes: 8192 });
  ({ key } = await h.account({ billingMode: 'postpaid', creditLimitCents: null }));
  const submitted = await h.app.inject({ method: 'POST', url: '/index_ws.php', payload: { key, cf: '82003050109' } });
  token = submitted.body.slice(3);
});
after(() => h.close());

/** A field value: often meaningful (the key, a code, the token), else anything. */
const value = () =>
  fc.oneof(
    { weight: 3, arbitrary: hostileText },
    { weight: 2, arbitrary: fc.constantFrom(...VALID_CODES) },
    { weight: 2, arbitrary: fc.constant('$KEY') },
    { weight: 1, arbitrary: fc.constant('$TOKEN') },
  );

/** Fields with their values; an array value repeats the field. */
const fields = fc.dictionary(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: hostileText }),
  fc.oneof({ weight: 5, arbitrary: value() }, { weight: 1, arbitrary: fc.array(value(), { minLength: 2, maxLength: 3 }) }),
  { maxKeys: 5 },
);

function real(v: string): string {
  return v === '$KEY' ? key : v === '$TOKEN' ? token : v;
}

function pairs(f: Record<string, string | string[]>): [string, string][] {
  return Object.entries(f).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [name, real(x)]));
}

function urlencoded(f: Record<string, string | string[]>): string {
  return pairs(f)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function multipart(f: Record<string, string | string[]>, boundary: string, file: boolean): Buffer {
  const parts = pairs(f).map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k.replace(/["\r\n]/g, '')}"\r\n\r\n${v}\r\n`);
  if (file) parts.push(`--${boundary}\r\ncontent-disposition: form-data; name="f"; filename="a.txt"\r\ncontent-type: text/plain\r\n\r\nhello\r\n`);
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
}

type Body = { type?: string; payload?: Buffer | string };
type Form = Record<string, string | string[]>;
type MakeBody = (f: Form) => Body;

const body: fc.Arbitrary<MakeBody> = fc.oneof(
  fc.constant<MakeBody>((f) => ({ type: 'application/x-www-form-urlencoded', payload: urlencoded(f) })),
  fc.constant<MakeBody>((f) => ({
    type: 'application/x-www-form-urlencoded; charset=iso-8859-1',
    payload: Buffer.from(
      pairs(f)
        .map(([k, v]) => `${k}=${v}`)
        .join('&'),
      'latin1',
    ),
  })),
  fc.tuple(fc.constantFrom('b0undary', 'x'.repeat(70), '--', ''), fc.boolean()).map(([b, file]) => (f: Form) => ({
    type: `multipart/form-data; boundary=${b}`,
    payload: multipart(f, b || 'z', file),
  })),
  fc.constant<MakeBody>((f) => ({ type: 'text/plain', payload: urlencoded(f) })),
  fc.constant<MakeBody>((f) => ({ payload: urlencoded(f) })),
  fc
    .tuple(
      fc.constantFrom(
        'application/json',
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'application/xml',
        'text/csv; charset=utf-16',
        '',
        ';;;',
        'a/b; c="',
      ),
      hostileBytes,
    )
    .map(([type, bytes]) => () => ({ type: type || undefined, payload: bytes })),
  fc.constant<MakeBody>((f) => ({ type: 'application/json', payload: JSON.stringify(Object.fromEntries(pairs(f))) })),
  fc.constant(() => ({})),
);

describe('text protocol: generated hostile requests', () => {
  test('any method, query and body: one protocol line, status 200/4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), fields, fields, body, async (method, query, form, makeBody) => {
        const sent = method === 'GET' || method === 'HEAD' ? {} : makeBody(form);
        const headers: Record<string, string> = {};
        if (sent.type !== undefined) headers['content-type'] = sent.type;
        const r = await h.app.inject({ method, url: `/index_ws.php?${urlencoded(query)}`, headers, payload: sent.payload });
        assertTextAnswer(r, method, `${method} ?${urlencoded(query).slice(0, 200)} ${sent.type ?? '(no type)'} ${String(sent.payload ?? '').slice(0, 200)}`);
      }),
      { numRuns: 300 },
    );
  });

  test('bodies over the limit, declared or not, are 413 Richiesta troppo grande', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 8193, max: 200_000 }),
        fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=b', 'text/plain', 'application/octet-stream'),
        async (size, type) => {
          const payload = Buffer.alloc(size, 'a');
          const r = await h.app.inject({ method: 'POST', url: '/index_ws.php', headers: { 'content-type': type }, payload });
          assertTextAnswer(r, 'POST', `${size} bytes of ${type}`);
          if (r.statusCode !== 413) throw new Error(`${size} bytes of ${type}: ${r.statusCode} ${r.body}`);
        },
      ),
      { numRuns: 30 },
    );
  });
});
