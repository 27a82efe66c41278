import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { delay } from '../helpers/cli.ts';
import { expectedFor, generatedCodes, SAMPLE, spawnClient, startClientFixture, type ClientFixture } from './client-fixture.ts';

const TIMEOUT = { timeout: 300_000 };

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Waits (bounded) until `path` exists; fails with the watcher's output otherwise. */
async function waitFor(path: string, output: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await exists(path))) {
    if (Date.now() > deadline) assert.fail(`${path} did not appear within ${timeoutMs} ms\n${output()}`);
    await delay(100);
  }
}

describe('cercapec client watch: a hot folder', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('watch');
  });
  after(async () => {
    await fx?.close();
  });

  test('a file dropped into in/ comes out in out/; a bad one goes to errors/ with its reason; SIGTERM stops it', TIMEOUT, async () => {
    const folder = join(fx.tmp, 'hot');
    const watcher = spawnClient(['watch', folder, '--settle', '0.5'], fx.env);
    try {
      await waitFor(join(folder, 'in'), watcher.output);

      const codes = [...[...SAMPLE.keys()].slice(0, 20), ...generatedCodes(30, 11)];
      await writeFile(join(folder, 'in', 'ordini.csv'), `cliente;cf\n${codes.map((c, i) => `c${i};${c}`).join('\n')}\n`);
      await writeFile(join(folder, 'in', 'senza-codici.csv'), 'nome;citta\nRossi;Genova\n');

      await waitFor(join(folder, 'out', 'ordini.csv'), watcher.output);
      const out = parse(await readFile(join(folder, 'out', 'ordini.csv'), 'utf8'), { bom: true, delimiter: ';', columns: true }) as Record<string, string>[];
      assert.deepEqual(
        out.map((r) => ({ cliente: r.cliente, cf: r.cf, stato: r.stato, pec: r.pec })),
        codes.map((c, i) => ({ cliente: `c${i}`, cf: c, ...expectedFor(c) })),
      );

      await waitFor(join(folder, 'errors', 'senza-codici.csv.error.txt'), watcher.output);
      assert.match(await readFile(join(folder, 'errors', 'senza-codici.csv.error.txt'), 'utf8'), /no column of codici fiscali/);
      assert.ok(await exists(join(folder, 'errors', 'senza-codici.csv')));
    } finally {
      watcher.child.kill('SIGTERM');
    }
    const stopped = await watcher.done;
    assert.equal(stopped.code, 0, `exit code after SIGTERM\n${watcher.output()}`);
    assert.match(stopped.stderr, /watch: done ordini\.csv: 50 rows, 20 found, 30 not found/);
    assert.deepEqual(await readdir(join(folder, 'in')), [], 'in/ is empty');
    assert.deepEqual(await readdir(join(folder, 'done')), ['ordini.csv'], 'the processed input moved to done/');
    assert.deepEqual(await readdir(join(folder, '.state')), [], 'no state left for a finished file');
  });
});
