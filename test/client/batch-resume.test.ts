import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { delay } from '../helpers/cli.ts';
import { clientOk, countRequests, expectedFor, generatedCodes, SAMPLE, spawnClient, startClientFixture, type ClientFixture } from './client-fixture.ts';

const TIMEOUT = { timeout: 600_000 };
const CONCURRENCY = 8;

async function lineCount(path: string): Promise<number> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '').length;
  } catch {
    return 0;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('cercapec client batch: killed with SIGKILL, then resumed', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('resume');
  });
  after(async () => {
    await fx?.close();
  });

  test('the second run completes the output and the server never gets a duplicate submission', TIMEOUT, async (t) => {
    const codes = [...SAMPLE.keys(), ...generatedCodes(3_000, 99)];
    // Every code twice (duplicates within the file) plus a few invalid rows.
    const rows = [...codes, ...codes.slice(0, 500), 'NON-VALIDO', '00000000000'];
    const input = join(fx.tmp, 'elenco.csv');
    const output = join(fx.tmp, 'elenco-out.csv');
    const statePath = `${output}.state.jsonl`;
    await writeFile(input, `codice;riga\n${rows.map((code, i) => `${code};${i + 1}`).join('\n')}\n`);
    const args = ['batch', input, '-o', output, '--concurrency', String(CONCURRENCY)];

    // First run: killed once the state file shows it well under way.
    const first = spawnClient(args, fx.env);
    const deadline = Date.now() + 120_000;
    while ((await lineCount(statePath)) < 300) {
      if (first.child.exitCode !== null) assert.fail(`the first run ended before it could be killed\n${first.output()}`);
      if (Date.now() > deadline) assert.fail(`the state file stayed short\n${first.output()}`);
      await delay(50);
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(await exists(output), false, 'no output yet: it is written at the end');
    const linesBefore = await lineCount(statePath);
    const beforeResume = await countRequests(fx.dataDir);
    assert.ok(beforeResume.total < codes.length, `killed in the middle (${beforeResume.total} of ${codes.length} submitted)`);

    // Second run: completes.
    const second = await clientOk(args, fx.env, { timeoutMs: 400_000 });
    const state = (await readFile(statePath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; code: string });
    assert.ok(state.length > linesBefore, 'the state file was appended to');

    const out = parse(await readFile(output, 'utf8'), { bom: true, delimiter: ';', columns: true }) as Record<string, string>[];
    assert.equal(out.length, rows.length);
    const wrong = rows.flatMap((code, i) => {
      const got = out[i];
      const expected = i >= codes.length + 500 ? { stato: 'non valido', pec: '' } : expectedFor(code);
      return got.codice === code && got.riga === String(i + 1) && got.stato === expected.stato && got.pec === expected.pec ? [] : [{ i, code, got }];
    });
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} rows wrong`);

    // The server's store: exactly one live request per distinct valid code. A request is deleted
    // only by the recovery path (sent before the kill, its token never reached the state file),
    // and at most --concurrency submissions were in flight when the process died.
    const requests = await countRequests(fx.dataDir);
    assert.equal(requests.live, codes.length, 'one live request per distinct code');
    assert.equal(requests.liveCodes, codes.length);
    assert.ok(requests.deleted <= CONCURRENCY, `${requests.deleted} requests deleted by the recovery path, at most ${CONCURRENCY}`);
    assert.equal(requests.total, codes.length + requests.deleted);
    t.diagnostic(`killed after ${beforeResume.total} of ${codes.length} submissions; ${requests.deleted} recovered with cf-delete`);
    const recovered = /(\d+) already requested: deleted and submitted again/.exec(second.stdout);
    assert.equal(Number(recovered?.[1] ?? 0), requests.deleted, second.stdout);

    // Every code has exactly one token in the state (the first run's or the second's), never two
    // unless the second one came from the recovery path.
    const submissions = new Map<string, number>();
    for (const entry of state) if (entry.type === 'submitted') submissions.set(entry.code, (submissions.get(entry.code) ?? 0) + 1);
    assert.equal(submissions.size, codes.length);
    assert.ok([...submissions.values()].every((n) => n === 1), 'no code submitted twice with a token recorded');
  });
});
