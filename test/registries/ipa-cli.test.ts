import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../src/standins/dataset.ts';
import { startIpaCkanStandin, type IpaCkanHandle } from '../../src/standins/ipa/ckan-standin.ts';
import { openStore } from '../../src/store/store.ts';
import { killAllChildren, runCli, type CliResult } from '../helpers/cli.ts';
import { eachDialect, TEST_DATABASE_URL } from '../helpers/stores.ts';

const dataset = generateDataset();
const TIMEOUT = { timeout: 120_000 };

await eachDialect(describe, 'cercapec registries refresh / status', (dialect) => {
  let ckan: IpaCkanHandle;
  let dir: string;
  let registriesFile: string;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const storeArgs = () => (dialect === 'sqlite' ? ['--data', join(dir, 'data')] : ['--database', TEST_DATABASE_URL, '--schema', schema]);
  // The WS23 secret comes from the environment, as in production.
  const env = () => ({ CERCAPEC_REGISTRIES_FILE: registriesFile, CERCAPEC_IPA_AUTH_ID: 'segreto-di-prova' });
  const cli = (args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> =>
    runCli([...args, ...storeArgs()], { env: { ...env(), ...extraEnv } });

  before(async () => {
    ckan = await startIpaCkanStandin({ dataset });
    dir = await mkdtemp(join(tmpdir(), 'cercapec-ipa-cli-'));
    registriesFile = join(dir, 'registries.json');
    await writeFile(
      registriesFile,
      JSON.stringify({
        routing: { cf11: ['directory', 'ipa-mirror', 'ipa-ws23', 'inipec'] },
        sources: {
          'ipa-mirror': { dumpUrl: ckan.dumpUrl },
          'ipa-ws23': { baseUrl: 'http://127.0.0.1:9', authId: 'env:CERCAPEC_IPA_AUTH_ID' },
        },
      }),
    );
  });
  after(async () => {
    await killAllChildren();
    await ckan.close();
    if (dialect === 'postgres') {
      const store = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, migrate: false });
      await store.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await store.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('status before any download, refresh, refresh again (304), status after', TIMEOUT, async () => {
    const before = await cli(['registries', 'status']);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /^routing cf11: directory, ipa-mirror, ipa-ws23 {2}\(not configured: inipec\)$/m);
    assert.match(before.stdout, /^ipa-mirror\s+enabled\s+cf11\s+IPA open data/m);
    assert.match(before.stdout, /^ipa-ws23\s+enabled\s+cf11\s+IPA web service WS23/m);
    assert.match(before.stdout, /status never, never downloaded/);
    assert.ok(!before.stdout.includes('segreto-di-prova'), 'no secret in the output');

    const first = await cli(['registries', 'refresh', 'ipa-mirror']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^ipa-mirror: replaced \\(${dataset.enti.length} rows, \\d+ addresses, 0 rows without a PEC, \\d+ bytes\\)$`, 'm'));

    const second = await cli(['registries', 'refresh', 'ipa']); // the short name
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^ipa-mirror: not modified/m);
    assert.ok(ckan.received[1].headers['if-none-match'], 'the second download was conditional');

    const after = await cli(['registries', 'status']);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, new RegExp(`status ok, ${dataset.enti.length} rows, refreshed \\d{4}-\\d\\d-\\d\\dT[^,]+Z, checked [^,]+Z, age 0 h`));
  });

  test('a failed refresh exits 1 with the reason; status shows it; the data stay', TIMEOUT, async () => {
    ckan.setFault({ mode: '500', count: 1 });
    const failed = await cli(['registries', 'refresh', 'ipa-mirror', '--force']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /ipa-mirror: refresh failed, the previous data keep answering: HTTP 500/);
    const status = await cli(['registries', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`status error, ${dataset.enti.length} rows, .*error: HTTP 500`));
  });

  test('usage mistakes: a source with no local copy, a file without the mirror', TIMEOUT, async () => {
    const wrong = await cli(['registries', 'refresh', 'ipa-ws23']);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /^cercapec: only ipa-mirror can be refreshed/);
    const other = join(dir, 'without-mirror.json');
    await writeFile(other, JSON.stringify({ sources: {} }));
    const missing = await cli(['registries', 'refresh', 'ipa-mirror'], { CERCAPEC_REGISTRIES_FILE: other });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /ipa-mirror is not configured/);
    const noSecret = await cli(['registries', 'status'], { CERCAPEC_IPA_AUTH_ID: undefined });
    assert.equal(noSecret.code, 2, noSecret.stderr);
    assert.match(noSecret.stderr, /CERCAPEC_IPA_AUTH_ID, which is not set/);
  });
});
