import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { createLogger } from '../../src/logger.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { openTestStore, type TestStore } from '../helpers/stores.ts';

/**
 * Abuse: the per-account and per-address rate limits answer the protocols' own "too many"
 * (text: `Error|…` on submissions, `ERROR|…` on polls, 429 with Retry-After; JSON: a 429
 * problem), and one address that keeps sending unknown keys or tokens is throttled after
 * authFailuresPerMinute failures and logged with its address and a count, never with what it
 * tried.
 */

const TOO_MANY_POST = 'Error|Troppe richieste, riprova più tardi';
const TOO_MANY_GET = 'ERROR|Troppe richieste, riprova più tardi';
const ATTACKER = '203.0.113.7';
const NEIGHBOUR = '198.51.100.9';

interface Setup {
  app: FastifyInstance;
  services: Services;
  store: TestStore;
  clock: ManualClock;
  logs: Record<string, unknown>[];
  key: string;
}

async function setup(overrides: Partial<Config>): Promise<Setup> {
  const store = await openTestStore('sqlite');
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 9, 0, 0));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ rateLimitPerKey: 0, rateLimitPerIp: 0, authFailuresPerMinute: 0, inlineAnswers: false, ...overrides }, {});
  const services = await createServices(config, { clock, store, logger: createLogger('info', sink) });
  const app = await buildApp(services);
  const { key } = await createAccount(store, clock.now(), {
    name: 'studio',
    billingMode: 'prepaid',
    priceCents: 10,
    initialCreditCents: 1000,
    creditLimitCents: null,
  });
  return { app, services, store, clock, logs, key: key.key };
}

async function teardown(s: Setup): Promise<void> {
  await s.app.close();
  await s.services.close();
  await s.store.destroy();
}

function post(s: Setup, fields: Record<string, string>, from = ATTACKER) {
  return s.app.inject({ method: 'POST', url: '/index_ws.php', payload: fields, remoteAddress: from });
}
function get(s: Setup, fields: Record<string, string>, from = ATTACKER) {
  return s.app.inject({ method: 'GET', url: `/index_ws.php?${new URLSearchParams(fields)}`, remoteAddress: from });
}
function api(s: Setup, method: 'GET' | 'DELETE', url: string, key: string, from = ATTACKER) {
  return s.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, remoteAddress: from });
}

describe('rate limits per address', () => {
  let s: Setup;
  beforeEach(async () => (s = await setup({ rateLimitPerIp: 20 })));
  afterEach(() => teardown(s));

  test('text protocol: past the per-address budget a submit is Error|Troppe richieste and a poll ERROR|…, 429 with Retry-After, whatever the key', async () => {
    const { key: other } = await createAccount(s.store, s.clock.now(), {
      name: 'altro',
      billingMode: 'prepaid',
      priceCents: 10,
      initialCreditCents: 1000,
      creditLimitCents: null,
    });
    let limited = 0;
    for (let i = 0; i < 25; i++) if ((await post(s, { key: i % 2 ? s.key : other.key, saldo: '' })).statusCode === 429) limited++;
    assert.ok(limited >= 5, `${limited} of 25 throttled`);
    const submit = await post(s, { key: s.key, cf: '82003050109' });
    assert.deepEqual([submit.statusCode, submit.body], [429, TOO_MANY_POST]);
    assert.ok(Number(submit.headers['retry-after']) > 0);
    const poll = await get(s, { key: s.key, token: 'x'.repeat(24) });
    assert.deepEqual([poll.statusCode, poll.body], [429, TOO_MANY_GET]);
    assert.equal((await post(s, { key: s.key, saldo: '' }, NEIGHBOUR)).body, '10.00', 'another address has its own budget');
    const json = await api(s, 'GET', '/v1/account', s.key);
    assert.equal(json.statusCode, 429);
    assert.equal(JSON.parse(json.body).code, 'rate_limited');
    s.clock.advance(60_000);
    assert.equal((await post(s, { key: s.key, saldo: '' })).body, '10.00', 'a minute later the address is served again');
  });
});

describe('throttling unknown keys and tokens per address', () => {
  let s: Setup;
  beforeEach(async () => (s = await setup({ authFailuresPerMinute: 5 })));
  afterEach(() => teardown(s));

  const warnings = () => s.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('authentication failures'));

  test('text protocol: after 5 unknown keys the address gets Troppe richieste, even with a valid key; others and the next minute are served', async () => {
    const tried: string[] = [];
    for (let i = 0; i < 5; i++) {
      const guess = `cp_guess${i}_${'z'.repeat(20)}`;
      tried.push(guess);
      const r = await post(s, { key: guess, saldo: '' });
      assert.deepEqual([r.statusCode, r.body], [200, 'Error|Chiave non valida o disabilitata'], `guess ${i + 1}`);
    }
    const blocked = await post(s, { key: s.key, cf: '82003050109' });
    assert.deepEqual([blocked.statusCode, blocked.body], [429, TOO_MANY_POST]);
    const blockedPoll = await get(s, { key: s.key, token: 'a'.repeat(24) });
    assert.deepEqual([blockedPoll.statusCode, blockedPoll.body], [429, TOO_MANY_GET]);
    assert.equal((await api(s, 'GET', '/v1/account', s.key)).statusCode, 429, 'both protocols share the count');
    assert.equal((await post(s, { key: s.key, saldo: '' }, NEIGHBOUR)).body, '10.00', 'another address is not affected');
    s.clock.advance(60_000);
    assert.equal((await post(s, { key: s.key, saldo: '' })).body, '10.00', 'the next minute the address is served');

    const [warn, ...more] = warnings();
    assert.equal(more.length, 0, 'one warning per address and minute');
    assert.equal(warn.address, ATTACKER);
    assert.equal(warn.failures, 5);
    assert.equal(warn.unknownKeys, 5);
    const logged = JSON.stringify(s.logs);
    for (const guess of tried) assert.ok(!logged.includes(guess), 'a tried key is never logged');
    assert.ok(!logged.includes(s.key), 'nor the real one');
  });

  test('text protocol: polls of unknown tokens count too', async () => {
    const tokens = Array.from({ length: 5 }, (_, i) => `tok${i}${'Q'.repeat(20)}`);
    for (const token of tokens) assert.equal((await get(s, { key: s.key, token })).body, 'ERROR|Token sconosciuto');
    const r = await get(s, { key: s.key, token: tokens[0] });
    assert.deepEqual([r.statusCode, r.body], [429, TOO_MANY_GET]);
    const warn = warnings()[0];
    assert.deepEqual([warn.address, warn.failures, warn.unknownTokens], [ATTACKER, 5, 5]);
    for (const token of tokens) assert.ok(!JSON.stringify(s.logs).includes(token), 'a tried token is never logged');
  });

  test('JSON API: unknown keys (401) and unknown lookup, batch and delivery ids (404) count; then a 429 problem', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await api(s, 'GET', '/v1/account', `cp_nope${i}`)).statusCode, 401);
    assert.equal((await api(s, 'GET', `/v1/lookups/${'L'.repeat(24)}`, s.key)).statusCode, 404);
    assert.equal((await api(s, 'DELETE', `/v1/lookups/${'M'.repeat(24)}`, s.key)).statusCode, 404);
    assert.equal((await api(s, 'GET', '/v1/batches/bat_unknown', s.key)).statusCode, 404);
    const r = await api(s, 'GET', '/v1/account', s.key);
    assert.equal(r.statusCode, 429);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    assert.equal(JSON.parse(r.body).code, 'rate_limited');
    assert.equal((await post(s, { key: s.key, saldo: '' })).statusCode, 429, 'the text protocol too');
    const warn = warnings()[0];
    assert.deepEqual([warn.address, warn.failures, warn.unknownKeys, warn.unknownTokens], [ATTACKER, 5, 2, 3]);
    assert.ok(!JSON.stringify(s.logs).includes('cp_nope'), 'a tried key is never logged');
  });

  test('successful requests and missing keys do not count', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await post(s, { key: s.key, saldo: '' })).body, '10.00');
    for (let i = 0; i < 20; i++) assert.equal((await post(s, { saldo: '' })).body, 'Error|Parametro key mancante');
    assert.equal((await post(s, { key: s.key, saldo: '' })).body, '10.00');
    assert.deepEqual(warnings(), []);
  });
});
