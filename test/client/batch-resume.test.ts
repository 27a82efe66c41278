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

function readRows(text: string): Record<string, string>[] {
  return parse(text, { bom: true, delimiter: ';', columns: true }) as Record<string, string>[];
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

  test('the second run completes the output but the few codes whose token was lost, which only a confirmed --rebuy buys again', TIMEOUT, async (t) => {
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

    // Second run: completes; a code submitted just before the kill, whose token never reached the
    // state file, is "già richiesta" (the text protocol cannot return its token): not bought again.
    const second = await clientOk(args, fx.env, { timeoutMs: 400_000 });
    const afterSecond = await countRequests(fx.dataDir);
    assert.equal(afterSecond.deleted, 0, 'nothing deleted without --rebuy');
    assert.equal(afterSecond.total, codes.length, 'one request per distinct code');
    const lost = Number(/(\d+) already requested/.exec(second.stdout)?.[1]);
    const lostRows = readRows(await readFile(output, 'utf8')).filter((r) => r.stato === 'già richiesta');
    assert.equal(lostRows.length, lost, second.stdout);
    assert.ok(
      new Set(lostRows.map((r) => r.codice)).size <= CONCURRENCY,
      `${lost} rows already requested: at most ${CONCURRENCY} codes were in flight at the kill`,
    );

    // Third run, with --rebuy confirmed: those codes (and only those) are deleted and bought again.
    const third = await clientOk([...args, '--rebuy', '--yes'], fx.env, { timeoutMs: 400_000 });
    const state = (await readFile(statePath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; code: string });
    assert.ok(state.length > linesBefore, 'the state file was appended to');

    const out = readRows(await readFile(output, 'utf8'));
    assert.equal(out.length, rows.length);
    const wrong = rows.flatMap((code, i) => {
      const got = out[i];
      const expected = i >= codes.length + 500 ? { stato: 'non valido', pec: '' } : expectedFor(code);
      return got.codice === code && got.riga === String(i + 1) && got.stato === expected.stato && got.pec === expected.pec ? [] : [{ i, code, got }];
    });
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} rows wrong`);

    // The server's store: exactly one live request per distinct valid code; the deleted ones are
    // the codes --rebuy bought again.
    const requests = await countRequests(fx.dataDir);
    assert.equal(requests.live, codes.length, 'one live request per distinct code');
    assert.equal(requests.liveCodes, codes.length);
    const rebought = new Set(lostRows.map((r) => r.codice)).size;
    assert.equal(requests.deleted, rebought);
    assert.equal(requests.total, codes.length + requests.deleted);
    t.diagnostic(`killed after ${beforeResume.total} of ${codes.length} submissions; ${rebought} codes bought again with --rebuy`);
    if (rebought > 0) assert.match(third.stdout, new RegExp(`${rebought} of them bought again with --rebuy`), third.stdout);

    // Every code has exactly one token in the state: the first run's, the second's, or (a code
    // whose token the kill lost) the third's.
    const submissions = new Map<string, number>();
    for (const entry of state) if (entry.type === 'submitted') submissions.set(entry.code, (submissions.get(entry.code) ?? 0) + 1);
    assert.equal(submissions.size, codes.length);
    assert.ok(
      [...submissions.values()].every((n) => n === 1),
      'no code submitted twice with a token recorded',
    );
  });
});
