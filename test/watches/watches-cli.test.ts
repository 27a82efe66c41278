import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliOk, lastLine, runCli } from '../helpers/cli.ts';

describe('cercapec watches and accounts prices', () => {
  test('recheck queues the local sources with data; prices set and clear the account settings', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-watches-'));
    try {
      const data = join(dir, 'data');
      await cliOk(['import', 'demo/enti-sample-comuni.csv', '--format', 'ipa-enti', '--data', data]);
      const out = await cliOk(['watches', 'recheck', '--data', data]);
      assert.match(out.stdout, /^re-check queued: directory$/m);
      const unknown = await runCli(['watches', 'recheck', '--source', 'nessuna', '--data', data]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no source nessuna to re-check/);
      const account = await cliOk(['accounts', 'add', '--name', 'studio', '--billing', 'prepaid', '--price-cents', '10', '--data', data]);
      assert.ok(lastLine(account.stdout));
      const priced = await cliOk(['accounts', 'prices', 'studio', '--watch-price-cents', '5', '--data', data]);
      assert.match(priced.stdout, /studio: watch 5 cents per code and month, verification 10 \(lookup price\) cents/);
      const free = await cliOk(['accounts', 'prices', 'studio', '--watch-price-cents', 'none', '--verification-price-cents', '3', '--data', data]);
      assert.match(free.stdout, /watch free per code and month, verification 3 cents/);
      assert.match((await cliOk(['watches', 'stats', '--data', data])).stdout, /^0 watches of 0 codes; 0 events in the last 30 days$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
