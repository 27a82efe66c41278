import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { clientOk, expectedFor, generatedCodes, SAMPLE, startClientFixture, type ClientFixture } from './client-fixture.ts';

const TIMEOUT = { timeout: 180_000 };

describe('cercapec client against a rate-limited server', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    // 120 a minute per key: a burst of 12, then 2 a second; 429 answers say Retry-After: 10.
    fx = await startClientFixture('ratelimit', { CERCAPEC_RATE_LIMIT_PER_KEY: '120' });
  });
  after(async () => {
    await fx?.close();
  });

  test('HTTP 429 makes the client wait and carry on: every code is answered', TIMEOUT, async () => {
    const codes = [...[...SAMPLE.keys()].slice(0, 8), ...generatedCodes(8, 3)];
    const result = await clientOk(['lookup', '--json', ...codes], fx.env, { timeoutMs: 150_000 });
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { code: string; stato: string; pec: string });
    assert.deepEqual(
      lines.map((l) => ({ code: l.code, stato: l.stato, pec: l.pec })),
      codes.map((code) => ({ code, ...expectedFor(code) })),
    );
  });
});
