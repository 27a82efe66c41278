import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { openStore } from '../../src/store/store.ts';
import { delay } from '../helpers/cli.ts';
import {
  assertNoStack,
  clientOk,
  countRequests,
  expectedFor,
  generatedCodes,
  SAMPLE,
  spawnClient,
  startClientFixture,
  type ClientFixture,
} from './client-fixture.ts';

const TIMEOUT = { timeout: 400_000 };

async function serverFacts(dataDir: string): Promise<{ batches: number; charges: number }> {
  const store = await openStore({ dataDir, migrate: false });
  try {
    const batches = await store.db.selectFrom('batches').select('id').execute();
    const charges = await store.db.selectFrom('ledger').select('id').where('kind', '=', 'charge').execute();
    return { batches: batches.length, charges: charges.length };
  } finally {
    await store.close();
  }
}

async function stateLines(path: string): Promise<Array<{ type: string; batchId?: string; code?: string }>> {
  try {
    return (await readFile(path, 'utf8'))
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

describe('cercapec client batch over the JSON API: one server batch per file', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    // Lookups through the queue, one at a time: the batch takes long enough to be killed while watched.
    fx = await startClientFixture('json-batches', { CERCAPEC_INLINE_ANSWERS: 'false', CERCAPEC_WORKER_CONCURRENCY: '2' });
  });
  after(() => fx?.close());

  test('10,000 rows go up as one batch and come back in input order', TIMEOUT, async () => {
    const codes = [...SAMPLE.keys(), ...generatedCodes(9_000, 4242)];
    const rows = [...codes, ...codes.slice(0, 1_000 - SAMPLE.size + 48)].slice(0, 10_000);
    const input = join(fx.tmp, 'diecimila.csv');
    const output = join(fx.tmp, 'diecimila-out.csv');
    await writeFile(input, `codice,riga\n${rows.map((c, i) => `${c},${i + 1}`).join('\n')}\n`);
    const result = await clientOk(['batch', input, '-o', output], { ...fx.env, CERCAPEC_PROTOCOL: 'json' }, { timeoutMs: 300_000 });
    assertNoStack(result);
    const out = parse(await readFile(output, 'utf8'), { bom: true, delimiter: ',', columns: true }) as Record<string, string>[];
    assert.equal(out.length, rows.length);
    const wrong = rows.flatMap((code, i) => {
      const expected = expectedFor(code);
      const got = out[i];
      return got.codice === code && got.riga === String(i + 1) && got.stato === expected.stato && got.pec === expected.pec ? [] : [{ i, code, got }];
    });
    assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} rows wrong`);
    const state = await stateLines(`${output}.state.jsonl`);
    assert.equal(state.filter((l) => l.type === 'batch').length, 1, 'one upload');
    assert.equal(state.filter((l) => l.type === 'submitted').length, 0, 'no per-code submissions');
    assert.deepEqual(await serverFacts(fx.dataDir), { batches: 1, charges: codes.length });
  });

  test('killed while the server works, it resumes by watching the same batch: nothing uploaded or charged twice', TIMEOUT, async (t) => {
    const before = await serverFacts(fx.dataDir);
    const requestsBefore = await countRequests(fx.dataDir);
    const codes = generatedCodes(3_000, 777);
    const input = join(fx.tmp, 'ripresa.csv');
    const output = join(fx.tmp, 'ripresa-out.csv');
    const statePath = `${output}.state.jsonl`;
    await writeFile(input, `codice\n${codes.join('\n')}\n`);
    const env = { ...fx.env, CERCAPEC_PROTOCOL: 'auto' };
    const first = spawnClient(['batch', input, '-o', output], env);
    const deadline = Date.now() + 120_000;
    while (!(await stateLines(statePath)).some((l) => l.type === 'batch')) {
      if (first.child.exitCode !== null) assert.fail(`the first run ended before it could be killed\n${first.output()}`);
      if (Date.now() > deadline) assert.fail(`no batch line\n${first.output()}`);
      await delay(10);
    }
    first.child.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    const settledAtKill = (await countRequests(fx.dataDir)).total - requestsBefore.total;
    const second = await clientOk(['batch', input, '-o', output], env, { timeoutMs: 300_000 });
    assert.match(second.stderr + second.stdout, /watching server batch/);
    const out = parse(await readFile(output, 'utf8'), { bom: true, delimiter: ',', columns: true }) as Record<string, string>[];
    assert.deepEqual(
      out.map((r) => r.codice),
      codes,
    );
    assert.ok(
      out.every((r) => r.stato === 'non trovata'),
      JSON.stringify(out.find((r) => r.stato !== 'non trovata')),
    );
    const after = await serverFacts(fx.dataDir);
    assert.equal(after.batches, before.batches + 1, 'the resumed run uploaded nothing');
    assert.equal(after.charges, before.charges + codes.length, 'each code charged once');
    t.diagnostic(`killed with ${settledAtKill} lookups created on the server`);
  });
});
