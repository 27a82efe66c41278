import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoStack, clientOk, runClient, startClientFixture, type ClientFixture } from '../client/client-fixture.ts';
import { cliOk, IPA_SAMPLE } from '../helpers/cli.ts';

const TIMEOUT = { timeout: 180_000 };

describe('cercapec client search, cercapec import --name-column, cercapec accounts set --search-price-cents', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('search');
    const imported = await cliOk([
      'import',
      IPA_SAMPLE,
      '--format',
      'ipa-enti',
      '--name',
      'enti con nomi',
      '--name-column',
      'Denominazione_ente',
      '--data',
      fx.dataDir,
    ]);
    assert.match(imported.stdout, /^names searchable: 48$/m);
  });
  after(() => fx?.close());

  test('prints a table of the results, or their JSON; each search is charged at the search price', TIMEOUT, async () => {
    const env = { ...fx.env, CERCAPEC_PROTOCOL: 'json' };
    const table = await clientOk(['search', 'comune', 'di', 'rezzo'], env);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^code\s+ipa\s+denominazione\s+sede\s+pec\s+fonte$/);
    assert.match(
      lines[2],
      /^84000950133\s+c_h259\s+Comune di Val Rezzo\s+Via Provinciale, 4 22010 \(CO\)\s+comune\.valrezzo@pec\.regione\.lombardia\.it\s+enti con nomi$/,
    );
    assert.match(lines[3], /^82003050109\s+c_h258\s+Comune di Rezzoaglio\s+.*protocollo@pec\.comune\.rezzoaglio\.ge\.it\s+enti con nomi$/);

    await cliOk(['accounts', 'set', 'client-search', '--search-price-cents', '7', '--data', fx.dataDir]);
    const json = await clientOk(['search', '--json', '--province', 'GE', 'REZZÒAGLIO'], env);
    const results = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      results.map((r) => [r.code, r.name, r.source.name, r.pecs[0].pec]),
      [['82003050109', 'Comune di Rezzoaglio', 'enti con nomi', 'protocollo@pec.comune.rezzoaglio.ge.it']],
    );
    const ledger = await cliOk(['accounts', 'ledger', 'client-search', '--data', fx.dataDir]);
    assert.equal(ledger.stdout.split('\n').filter((l) => l.split('\t')[1] === 'search').length, 1);
    assert.match(ledger.stdout, /\tsearch\t-0[.,]07\t/);
  });

  test('no results, bad input and the text protocol are readable messages', TIMEOUT, async () => {
    const env = { ...fx.env, CERCAPEC_PROTOCOL: 'json' };
    assert.match((await clientOk(['search', 'zzzzqqq'], env)).stdout, /^nessun risultato$/m);
    const bad = await runClient(['search', '?!'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /the server refused the search: the query has no letters or digits/);
    assertNoStack(bad);
    const text = await runClient(['search', 'rezzoaglio'], { ...fx.env, CERCAPEC_PROTOCOL: 'text' });
    assert.notEqual(text.code, 0);
    assert.match(text.stderr, /text protocol looks up codes only/);
    assertNoStack(text);
  });
});
