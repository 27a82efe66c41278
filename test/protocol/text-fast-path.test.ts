/**
 * The text protocol's fast path (src/protocol/text/fast-path.ts) answers exactly as the Fastify
 * routes: the same matrix of raw HTTP requests goes, in the same order, to a server with the
 * fast path and to one without (each on its own store, with the same accounts and clock), and
 * every answer must match byte for byte: status, headers in order (but Date), body, and the
 * log lines (but their time and duration). Tokens are random, so each side's tokens are
 * numbered in the order they were handed out before comparing.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { subscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { createLogger } from '../../src/logger.ts';
import { revokeApiKey } from '../../src/accounts/api-keys.ts';
import type { Config } from '../../src/config.ts';
import { sql } from 'kysely';

const FORM = 'application/x-www-form-urlencoded';
const CODE = '00743110157';
const OTHER_CODE = 'RSSMRA85T10A562S';

/** What a case may refer to on each side: its keys, and the tokens it was handed so far. */
interface Side {
  harness: Harness;
  port: number;
  key: string;
  poorKey: string;
  revokedKey: string;
  revokedKeyOf: { accountId: string; keyId: string };
  tokens: string[];
  logs: string[];
}

interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sent as two chunks with transfer-encoding: chunked. */
  chunked?: boolean;
}

interface Case {
  name: string;
  build(side: Side): RawRequest;
  /** Run on both sides before the request (e.g. revoke a key). */
  before?(side: Side): Promise<void>;
}

interface Answer {
  status: number;
  headers: string[];
  body: string;
}

function send(port: number, r: RawRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...r.headers };
    if (r.body !== undefined && !r.chunked) headers['content-length'] = String(Buffer.byteLength(r.body));
    if (r.chunked) headers['transfer-encoding'] = 'chunked';
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.rawHeaders.flatMap((v, i, all) => (i % 2 === 0 && v.toLowerCase() !== 'date' ? [`${v}: ${all[i + 1]}`] : []));
        resolve({ status: res.statusCode!, headers: raw, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.chunked && r.body !== undefined) {
      const body = Buffer.from(r.body);
      req.write(body.subarray(0, 5));
      req.end(body.subarray(5));
    } else req.end(r.body);
  });
}

/** The answer with the side's tokens replaced by their order of issue (learning the new ones). */
function normalized(side: Side, answer: Answer): Answer {
  const issued = /^OK\|([A-Za-z0-9_-]{24})$/.exec(answer.body);
  if (issued && !side.tokens.includes(issued[1])) side.tokens.push(issued[1]);
  let body = answer.body;
  side.tokens.forEach((token, i) => {
    body = body.replaceAll(token, `<token ${i}>`);
  });
  return { ...answer, body };
}

/** The log lines without what differs by nature: time and duration. */
function logLines(side: Side): Array<Record<string, unknown>> {
  return side.logs.map((line) => {
    const { time: _time, ms: _ms, ...rest } = JSON.parse(line) as Record<string, unknown>;
    // A failure's stack names the path's own frames; its type and message must match.
    if (rest.err) rest.err = { ...(rest.err as Record<string, unknown>), stack: undefined };
    return rest;
  });
}

async function openSide(dialect: 'sqlite' | 'postgres', config: Partial<Config>): Promise<Side> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const harness = await createHarness(dialect, config, { logger: createLogger('info', sink) });
  await harness.app.listen({ port: 0, host: '127.0.0.1' });
  const address = harness.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const key = (await harness.account({ initialCreditCents: 1000, priceCents: 10 })).key;
  const poorKey = (await harness.account({ initialCreditCents: 0, priceCents: 10 })).key;
  const revoked = await harness.account();
  const row = await harness.store.db.selectFrom('api_keys').select('id').where('account_id', '=', revoked.id).executeTakeFirstOrThrow();
  logs.length = 0;
  return { harness, port, key, poorKey, revokedKey: revoked.key, revokedKeyOf: { accountId: revoked.id, keyId: row.id }, tokens: [], logs };
}

/** Requests that reached a Fastify route handler, by the server's port (Fastify's diagnostics channel). */
const routed = new Map<number, number>();
subscribe('tracing:fastify.request.handler:start', (message) => {
  const port = (message as { request: { raw: { socket: { localPort: number } } } }).request.raw.socket.localPort;
  routed.set(port, (routed.get(port) ?? 0) + 1);
});

/** The shapes the fast path takes (the rest goes to Fastify): a GET poll without a body, a small urlencoded POST. */
function fastShape(r: RawRequest): boolean {
  const path = r.path === '/index_ws.php' || r.path.startsWith('/index_ws.php?');
  if (r.method === 'GET') return path && r.body === undefined;
  const small = r.body !== undefined && Buffer.byteLength(r.body) <= 8 * 1024 && !r.chunked;
  return r.method === 'POST' && path && small && r.headers?.['content-type'] === FORM;
}

/** Sends every case to both sides in turn and compares the answers, then the logs. */
async function compare(fast: Side, slow: Side, cases: Case[]): Promise<void> {
  for (const c of cases) {
    await c.before?.(fast);
    await c.before?.(slow);
    const [fastBefore, slowBefore] = [routed.get(fast.port) ?? 0, routed.get(slow.port) ?? 0];
    const request = c.build(fast);
    const a = normalized(fast, await send(fast.port, request));
    const b = normalized(slow, await send(slow.port, c.build(slow)));
    assert.deepEqual(a, b, `${c.name}: the fast path answered differently`);
    const [fastRouted, slowRouted] = [(routed.get(fast.port) ?? 0) - fastBefore, (routed.get(slow.port) ?? 0) - slowBefore];
    if (fastShape(request)) {
      assert.equal(slowRouted, 1, `${c.name}: went through the route without the fast path`);
      assert.equal(fastRouted, 0, `${c.name}: went through Fastify with the fast path on`);
    } else assert.equal(fastRouted, slowRouted, `${c.name}: skipped Fastify with the fast path on`);
  }
  assert.deepEqual(logLines(fast), logLines(slow), 'the log lines differ');
  assert.equal(fast.logs.length >= cases.length, true, 'every request has its access line');
  for (const line of fast.logs) {
    for (const secret of [fast.key, fast.poorKey, fast.revokedKey, CODE, OTHER_CODE, ...fast.tokens]) {
      assert.equal(line.includes(secret), false, `a key, code or token in the log: ${line}`);
    }
  }
}

/** A query string or form from names and values, in order: q('key', k, 'token', t). */
const q = (...pairs: string[]) => new URLSearchParams(pairs.flatMap((v, i): Array<[string, string]> => (i % 2 ? [] : [[v, pairs[i + 1]]]))).toString();
const get = (name: string, query: (s: Side) => string, headers?: Record<string, string>): Case => ({
  name,
  build: (s) => ({ method: 'GET', path: `/index_ws.php${query(s)}`, headers }),
});
const post = (name: string, body: (s: Side) => string, headers: Record<string, string> = { 'content-type': FORM }, path = '/index_ws.php'): Case => ({
  name,
  build: (s) => ({ method: 'POST', path, headers, body: body(s) }),
});
const long = 'A'.repeat(600);

/** The protocol's inputs, common and odd, in an order where later ones find what earlier ones made. */
const MATRIX: Case[] = [
  post('submit', (s) => q('key', s.key, 'cf', CODE)),
  post('submit, duplicate', (s) => q('key', s.key, 'cf', CODE)),
  post('submit, second code', (s) => q('key', s.key, 'cf', OTHER_CODE.toLowerCase())),
  get('poll', (s) => `?${q('key', s.key, 'token', s.tokens[0])}`),
  get('poll, fields in another order and a stray field', (s) => `?${q('x', '1', 'token', s.tokens[0], 'key', s.key)}`),
  get('poll, unknown token', (s) => `?${q('key', s.key, 'token', 'nessuno')}`),
  get("poll, another account's token", (s) => `?${q('key', s.poorKey, 'token', s.tokens[0])}`),
  get('poll, invalid key', (s) => `?${q('key', 'cp_sbagliata', 'token', s.tokens[0])}`),
  get('poll, no key', (s) => `?${q('token', s.tokens[0])}`),
  get('poll, empty key', (s) => `?key=&token=${s.tokens[0]}`),
  get('poll, no token', (s) => `?${q('key', s.key)}`),
  get('poll, empty token', (s) => `?${q('key', s.key, 'token', '')}`),
  get('poll, token of spaces', (s) => `?${q('key', s.key, 'token', ' ')}`),
  get('poll, repeated key', (s) => `?${q('key', s.key, 'key', s.key, 'token', s.tokens[0])}`),
  get('poll, repeated token', (s) => `?${q('key', s.key, 'token', s.tokens[0], 'token', s.tokens[0])}`),
  get('poll, long token', (s) => `?${q('key', s.key, 'token', long)}`),
  get('poll, long key', () => `?${q('key', long, 'token', 'x')}`),
  get('poll, unicode', (s) => `?${q('key', s.key, 'token', 'perché-ü-€-😀')}`),
  get('poll, broken escapes', (s) => `?key=${encodeURIComponent(s.key)}&token=%ZZ%&%E0%A4%A`),
  get('poll, plus signs and bare names', (s) => `?key=${encodeURIComponent(s.key)}&token=a+b&saldo&&=`),
  get('poll, hash in the query', (s) => `?${q('key', s.key, 'token', s.tokens[0])}#frammento`),
  get('GET, cf', (s) => `?${q('key', s.key, 'cf', CODE)}`),
  get('GET, saldo', (s) => `?${q('key', s.key, 'saldo', '')}`),
  get('GET, cf-delete', (s) => `?${q('key', s.key, 'cf-delete', CODE)}`),
  get('GET, no query string', () => ''),
  get('GET, empty query string', () => '?'),
  get('GET, other path below', (s) => `/altro?${q('key', s.key)}`),
  { name: 'GET, similar path', build: (s) => ({ method: 'GET', path: `/index_ws.phpx?${q('key', s.key)}` }) },
  { name: 'GET, upper-case path', build: (s) => ({ method: 'GET', path: `/INDEX_WS.PHP?${q('key', s.key)}` }) },
  { name: 'GET, semicolon', build: (s) => ({ method: 'GET', path: `/index_ws.php;x?${q('key', s.key)}` }) },
  {
    name: 'GET, double slash',
    build: (s) => ({
      method: 'GET',
      path: `//index_ws.php?${q('key', s.key, 'token', s.tokens[0])}`,
    }),
  },
  {
    name: 'GET with a body',
    build: (s) => ({
      method: 'GET',
      path: `/index_ws.php?${q('key', s.key, 'token', s.tokens[0])}`,
      headers: { 'content-type': FORM },
      body: 'saldo=',
    }),
  },
  {
    name: 'HEAD poll',
    build: (s) => ({
      method: 'HEAD',
      path: `/index_ws.php?${q('key', s.key, 'token', s.tokens[0])}`,
    }),
  },
  get('poll with X-Forwarded-For (not trusted here)', (s) => `?${q('key', s.key, 'token', s.tokens[0])}`, { 'x-forwarded-for': '203.0.113.9' }),
  post('saldo', (s) => q('key', s.key, 'saldo', '')),
  post('saldo with a value', (s) => q('key', s.key, 'saldo', 'si')),
  post('no operation', (s) => q('key', s.key)),
  post('two operations', (s) => q('key', s.key, 'cf', CODE, 'saldo', '')),
  post('token in a POST', (s) => q('key', s.key, 'token', s.tokens[0])),
  post('submit, invalid code', (s) => q('key', s.key, 'cf', '00743110158')),
  post('submit, garbage code', (s) => q('key', s.key, 'cf', 'ciao')),
  post('submit, empty code', (s) => q('key', s.key, 'cf', '')),
  post('submit, repeated code', (s) => q('key', s.key, 'cf', CODE, 'cf', CODE)),
  post('submit, long code', (s) => q('key', s.key, 'cf', long)),
  post('submit, unicode code', (s) => q('key', s.key, 'cf', 'RSSMRA85T10A562€')),
  post('submit, no credit', (s) => q('key', s.poorKey, 'cf', CODE)),
  post('submit, invalid key', () => q('key', 'cp_sbagliata', 'cf', CODE)),
  post('submit, no key', () => q('cf', CODE)),
  {
    name: 'submit, key in the query string, code in the body',
    build: (s) => ({ method: 'POST', path: `/index_ws.php?${q('key', s.key)}`, headers: { 'content-type': FORM }, body: q('cf', '82003050109') }),
  },
  {
    name: 'the body wins over the query string',
    build: (s) => ({
      method: 'POST',
      path: `/index_ws.php?${q('key', 'cp_sbagliata')}`,
      headers: { 'content-type': FORM },
      body: q('key', s.key, 'saldo', ''),
    }),
  },
  post('cancel', (s) => q('key', s.key, 'cf-delete', OTHER_CODE)),
  get('poll, cancelled', (s) => `?${q('key', s.key, 'token', s.tokens[1])}`),
  post('cancel again', (s) => q('key', s.key, 'cf-delete', OTHER_CODE)),
  post('cancel, unknown code', (s) => q('key', s.key, 'cf-delete', '82003050109')),
  post('cancel, empty code', (s) => q('key', s.key, 'cf-delete', '')),
  post('cancel, invalid code', (s) => q('key', s.key, 'cf-delete', 'ciao')),
  post('saldo after the cancel', (s) => q('key', s.key, 'saldo', '')),
  post('saldo, key to be revoked', (s) => q('key', s.revokedKey, 'saldo', '')),
  // Its key cached: the fast path answers the poll at once (pollNow), here an unknown token.
  get("poll, key to be revoked, another account's token", (s) => `?${q('key', s.revokedKey, 'token', s.tokens[0])}`),
  {
    // Still cached, but the epoch moved: refused on the next poll, as by the routes.
    ...get('poll, revoked key (cached before)', (s) => `?${q('key', s.revokedKey, 'token', s.tokens[0])}`),
    before: async (s) => revokeApiKey(s.harness.store, s.revokedKeyOf, s.harness.clock.now()),
  },
  post('saldo, revoked key (cached before)', (s) => q('key', s.revokedKey, 'saldo', '')),
  post('content type with a charset', (s) => q('key', s.key, 'saldo', ''), { 'content-type': `${FORM}; charset=utf-8` }),
  post('content type in capitals', (s) => q('key', s.key, 'saldo', ''), { 'content-type': FORM.toUpperCase() }),
  post('text/plain', (s) => q('key', s.key, 'saldo', ''), { 'content-type': 'text/plain' }),
  post('no content type', (s) => q('key', s.key, 'saldo', ''), {}),
  post(
    'multipart',
    (s) => `--b\r\nContent-Disposition: form-data; name="key"\r\n\r\n${s.key}\r\n--b\r\nContent-Disposition: form-data; name="saldo"\r\n\r\n\r\n--b--\r\n`,
    {
      'content-type': 'multipart/form-data; boundary=b',
    },
  ),
  post('broken multipart', () => '--b\r\nnonsense', { 'content-type': 'multipart/form-data; boundary=b' }),
  post('empty body', () => ''),
  post('body of broken UTF-8', (s) => `key=${encodeURIComponent(s.key)}&cf=\xff\xfe`),
  {
    name: 'body of raw bytes',
    build: (s) => ({
      method: 'POST',
      path: '/index_ws.php',
      headers: { 'content-type': FORM },
      body: Buffer.concat([Buffer.from(`key=${s.key}&saldo=`), Buffer.from([0xc3, 0x28, 0xff])]),
    }),
  },
  post('broken escapes in the body', (s) => `key=${encodeURIComponent(s.key)}&cf=%ZZ&saldo=%`),
  post('a 9 KiB body (read by Fastify)', (s) => `${q('key', s.key, 'saldo', '')}&pad=${'x'.repeat(9 * 1024)}`),
  post('a body over the limit', (s) => `${q('key', s.key, 'saldo', '')}&pad=${'x'.repeat(70 * 1024)}`),
  {
    name: 'chunked form',
    build: (s) => ({
      method: 'POST',
      path: '/index_ws.php',
      headers: { 'content-type': FORM },
      body: q('key', s.key, 'saldo', ''),
      chunked: true,
    }),
  },
  post('POST to another path', (s) => q('key', s.key, 'saldo', ''), { 'content-type': FORM }, '/index_ws.php/x'),
  {
    // Last: the store fails under the poll (503 and the error line in the log).
    ...get('poll, the store failing', (s) => `?${q('key', s.key, 'token', s.tokens[0])}`),
    before: async (s) => {
      await sql`alter table requests rename to requests_gone`.execute(s.harness.store.db);
    },
  },
  ...['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'].map(
    (method): Case => ({
      name: method,
      build: (s) => ({ method, path: `/index_ws.php?${q('key', s.key)}`, headers: { 'content-type': FORM }, body: 'saldo=' }),
    }),
  ),
];

eachDialect(describe, 'text protocol: the fast path answers as the Fastify routes', (dialect) => {
  let fast: Side;
  let slow: Side;
  before(async () => {
    // The key cache on, as it runs: a revoked key must be refused on the next request either way.
    const config = { keyCacheMs: 60_000 };
    fast = await openSide(dialect, { ...config, textFastPath: true });
    slow = await openSide(dialect, { ...config, textFastPath: false });
  });
  after(async () => {
    await fast?.harness.close();
    await slow?.harness.close();
  });

  test('every input of the matrix', async () => {
    await compare(fast, slow, MATRIX);
    assert.ok(
      fast.logs.some((l) => l.includes('"status":503')) && fast.logs.some((l) => l.includes('text protocol failure')),
      'the failing store was answered 503 and logged',
    );
  });
});

/**
 * Rate limits and the failure throttle count the same requests, by the same client address; with
 * the key cache on, the polls whose key it holds are answered at once (pollNow), and count alike.
 */
for (const [trustProxy, keyCacheMs] of [
  [false, 0],
  [true, 0],
  [true, 60_000],
] as const) {
  describe(`text protocol fast path: limits alike (trustProxy ${trustProxy}, key cache ${keyCacheMs} ms)`, () => {
    let fast: Side;
    let slow: Side;
    before(async () => {
      // Per address: bursts of 10 (100 a minute); per key: 30 (300); 3 failures a minute. The clock stands still.
      const config = { rateLimitPerIp: 100, rateLimitPerKey: 300, authFailuresPerMinute: 3, trustProxy, keyCacheMs };
      fast = await openSide('sqlite', { ...config, textFastPath: true });
      slow = await openSide('sqlite', { ...config, textFastPath: false });
    });
    after(async () => {
      await fast?.harness.close();
      await slow?.harness.close();
    });

    test('the same requests are refused', async () => {
      const from = (address: string) => ({ 'x-forwarded-for': address });
      const cases: Case[] = [
        post('submit', (s) => q('key', s.key, 'cf', CODE), { 'content-type': FORM, ...from('10.0.0.1') }),
        ...Array.from({ length: 11 }, (_, i) => get(`poll ${i} from one address`, (s) => `?${q('key', s.key, 'token', s.tokens[0])}`, from('10.0.0.1'))),
        get('poll from another address', (s) => `?${q('key', s.key, 'token', s.tokens[0])}`, from('10.0.0.2, 10.0.0.1')),
        ...Array.from({ length: 4 }, (_, i) => get(`unknown key ${i}`, () => `?${q('key', 'cp_sbagliata', 'token', 'x')}`, from('10.0.0.3'))),
        ...Array.from({ length: 4 }, (_, i) => get(`unknown token ${i}`, (s) => `?${q('key', s.key, 'token', 'nessuno')}`, from(' 10.0.0.4 '))),
        ...Array.from({ length: 4 }, (_, i) => post(`saldo ${i}`, (s) => q('key', s.key, 'saldo', ''), { 'content-type': FORM, ...from(`10.0.1.${i}`) })),
        ...Array.from({ length: 25 }, (_, i) => get(`poll ${i} from many addresses`, (s) => `?${q('key', s.key, 'token', s.tokens[0])}`, from(`10.0.2.${i}`))),
      ];
      await compare(fast, slow, cases);
      const statuses = fast.logs.map((l) => (JSON.parse(l) as { status?: number }).status);
      assert.ok(statuses.includes(429), 'some requests were refused');
    });
  });
}
