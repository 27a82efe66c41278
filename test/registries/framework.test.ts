import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { createCircuitBreaker } from '../../src/registries/circuit-breaker.ts';
import { createMicroBatcher } from '../../src/registries/micro-batcher.ts';
import { createThrottle } from '../../src/registries/throttle.ts';
import { loadRegistriesFile, parseRegistriesFile } from '../../src/registries/registries-file.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { scriptedSource } from './scripted-source.ts';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('circuit breaker', () => {
  test('opens after consecutive failures, lets one probe through after openMs, closes on its success', () => {
    const clock = new ManualClock();
    const states: string[] = [];
    const breaker = createCircuitBreaker({ failureThreshold: 3, openMs: 1000 }, clock, (s) => states.push(s));
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    assert.equal(breaker.state, 'closed', 'a success in between resets the count');
    breaker.failure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(), false);
    clock.advance(1000);
    assert.equal(breaker.state, 'half_open');
    assert.equal(breaker.allow(), true, 'one probe');
    assert.equal(breaker.allow(), false, 'only one');
    breaker.failure();
    assert.equal(breaker.state, 'open', 'a failed probe opens it again');
    clock.advance(1000);
    assert.equal(breaker.allow(), true);
    breaker.success();
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(states, ['open', 'half_open', 'open', 'half_open', 'closed']);
  });
});

describe('micro-batcher', () => {
  test('a full batch goes at once, the rest after the delay, each caller gets its own answer', async () => {
    const runs: string[][] = [];
    const batcher = createMicroBatcher<string, string>({
      maxSize: 3,
      delayMs: 10,
      key: (s) => s,
      async run(items) {
        runs.push(items);
        return new Map(items.filter((i) => i !== 'x').map((i) => [i, i.toUpperCase()]));
      },
    });
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'x'].map((i) => batcher.add(i)));
    assert.deepEqual(runs, [
      ['a', 'b', 'c'],
      ['d', 'x'],
    ]);
    assert.deepEqual(
      results.slice(0, 4).map((r) => (r as PromiseFulfilledResult<string>).value),
      ['A', 'B', 'C', 'D'],
    );
    assert.equal(results[4].status, 'rejected', 'an item the run left out is rejected, not left hanging');
  });

  test('a failed run rejects every item of its batch', async () => {
    const batcher = createMicroBatcher<string, string>({ maxSize: 10, delayMs: 1, key: (s) => s, run: async () => Promise.reject(new Error('503')) });
    const results = await Promise.allSettled([batcher.add('a'), batcher.add('b')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
});

describe('throttle', () => {
  test('never more than `concurrency` holders; an aborted waiter leaves the line', async () => {
    const throttle = createThrottle(2, 1000);
    let active = 0;
    let peak = 0;
    const work = async () => {
      await throttle.acquire();
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setImmediate(r));
      active--;
      throttle.release();
    };
    await Promise.all(Array.from({ length: 20 }, work));
    assert.equal(peak, 2);
    await throttle.acquire();
    await throttle.acquire();
    const controller = new AbortController();
    const waiting = throttle.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    throttle.release();
    await throttle.acquire();
    throttle.release();
    throttle.release();
  });
});

describe('registries file', () => {
  test('defaults route as the issue says; env: strings come from the environment; errors name the place', () => {
    const file = parseRegistriesFile({});
    assert.deepEqual(file.routing.cf11, ['directory', 'ipa-mirror', 'ipa-ws23', 'inipec', 'openapi']);
    assert.deepEqual(file.routing.cf16, ['directory', 'inad', 'inipec', 'openapi']);
    assert.equal(file.deadlineMinutes, 120);
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-reg-'));
    try {
      const path = join(dir, 'registries.json');
      writeFileSync(path, JSON.stringify({ sources: { 'ipa-ws23': { authId: 'env:TEST_IPA_AUTH' } } }));
      const loaded = loadRegistriesFile(path, { TEST_IPA_AUTH: 'segreto' });
      assert.equal(loaded.file.sources['ipa-ws23'].authId, 'segreto');
      assert.equal(loaded.baseDir, dir);
      assert.throws(() => loadRegistriesFile(path, {}), /sources\.ipa-ws23\.authId names the environment variable TEST_IPA_AUTH/);
      writeFileSync(path, '{ not json');
      assert.throws(() => loadRegistriesFile(path), /cannot read the registries file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => parseRegistriesFile({ routing: { cf11: [] } }), /routing\.cf11/);
    assert.throws(() => parseRegistriesFile({ sorces: {} }), /\(root\)|sorces/);
  });

  test('an unknown source or a bad option stops the start with a message naming it', async () => {
    const s = scriptedSource('inipec');
    await assert.rejects(
      createHarness('sqlite', {}, { sourceDefinitions: [s.definition], registriesFile: { sources: { nope: {} } } }),
      /unknown source "nope"/,
    );
    await assert.rejects(
      createHarness('sqlite', {}, { sourceDefinitions: [s.definition], registriesFile: { sources: { inipec: { limits: { concurrency: 0 } } } } }),
      /sources\.inipec\.limits\.concurrency/,
    );
    await assert.rejects(
      createHarness('sqlite', {}, { sourceDefinitions: [s.definition], registriesFile: { sources: { inipec: { typo: 1 } } } }),
      /sources\.inipec/,
    );
  });
});

describe('metrics and source health over HTTP', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  test('/metrics speaks Prometheus text; /healthz/sources lists each source; a token guards both when set', async () => {
    const s = scriptedSource('inipec');
    h = await createHarness(
      'sqlite',
      { metricsToken: 'token-di-prova-lungo-16' },
      { sourceDefinitions: [s.definition], registriesFile: { sources: { inipec: {} } } },
    );
    assert.equal((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const auth = { authorization: 'Bearer token-di-prova-lungo-16' };
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics', headers: auth });
    assert.equal(metrics.statusCode, 200);
    assert.match(String(metrics.headers['content-type']), /text\/plain/);
    assert.match(metrics.body, /# TYPE cercapec_registry_breaker_state gauge/);
    assert.match(metrics.body, /cercapec_registry_breaker_state\{source="inipec"\} 0/);
    const health = await h.app.inject({ method: 'GET', url: '/healthz/sources', headers: auth });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(
      health.json().sources.map((x: { source: string }) => x.source),
      ['directory', 'inipec'],
    );
    assert.equal(health.json().status, 'ok');
  });
});
