import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assertNoStack, clientOk, generatedCodes, runClient, SAMPLE, startClientFixture, type ClientFixture } from './client-fixture.ts';
import { countRequests } from './client-fixture.ts';

const TIMEOUT = { timeout: 180_000 };

describe('cercapec client over the JSON API', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('json');
  });
  after(() => fx?.close());

  test('lookup with --protocol json; a code already requested comes back without cf-delete', TIMEOUT, async () => {
    const [found] = [...SAMPLE.keys()];
    const [absent] = generatedCodes(1, 11);
    const env = { ...fx.env, CERCAPEC_PROTOCOL: 'json' };
    const first = await clientOk(['lookup', '--json', found, absent], env);
    assert.deepEqual(
      first.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      [
        { code: found, stato: 'trovata', pec: SAMPLE.get(found)![0], errore: '' },
        { code: absent, stato: 'non trovata', pec: '', errore: '' },
      ],
    );
    await clientOk(['lookup', '--json', found], env);
    const counts = await countRequests(fx.dataDir);
    assert.equal(counts.deleted, 0, 'the JSON API returns the existing lookup: nothing deleted, nothing charged twice');
    assert.equal(counts.total, 2);
  });

  test('auto picks the JSON API, whose answers name the source in the fonte column', TIMEOUT, async () => {
    const codes = [...SAMPLE.keys()].slice(5, 10);
    const input = join(fx.tmp, 'auto.csv');
    const output = join(fx.tmp, 'auto-out.csv');
    await writeFile(input, `codice;nome\n${codes.map((c, i) => `${c};ente ${i}`).join('\n')}\n`);
    const env = { ...fx.env, CERCAPEC_PROTOCOL: 'auto' };
    const result = await runClient(['batch', input, '-o', output], env);
    assertNoStack(result);
    assert.equal(result.code, 0, result.stderr);
    const rows = parse(await readFile(output), { columns: true, bom: true, delimiter: [';', ','] }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => r.codice),
      codes,
    );
    assert.ok(
      rows.every((r) => r.stato === 'trovata' && r.fonte === 'directory'),
      JSON.stringify(rows[0]),
    );
  });

  test('an unknown protocol is a readable error', async () => {
    const result = await runClient(['lookup', '--protocol', 'soap', '00743110157'], fx.env);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /protocol must be text, json or auto/);
    assertNoStack(result);
  });
});
