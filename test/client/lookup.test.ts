import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdir, stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoStack, clientOk, countRequests, generatedCodes, runClient, SAMPLE, startClientFixture, type ClientFixture } from './client-fixture.ts';

const TIMEOUT = { timeout: 180_000 };

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('cercapec client: lookup, configuration, readable errors', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('lookup');
  });
  after(async () => {
    await fx?.close();
  });

  test('lookup prints one JSON line per code, in order', TIMEOUT, async () => {
    const [found, foundWithZeros] = [...SAMPLE.keys()].filter((c) => c.startsWith('8') || c.startsWith('00')).slice(0, 2);
    const [absent] = generatedCodes(1, 7);
    const result = await runClient(['lookup', '--json', found, ` it ${foundWithZeros} `, absent, 'ABC', found], fx.env);
    assertNoStack(result);
    assert.equal(result.code, 1, 'exit 1: one input was invalid');
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines, [
      { code: found, stato: 'trovata', pec: SAMPLE.get(found)![0], errore: '' },
      { code: foundWithZeros, stato: 'trovata', pec: SAMPLE.get(foundWithZeros)![0], errore: '' },
      { code: absent, stato: 'non trovata', pec: '', errore: '' },
      { code: 'ABC', stato: 'non valido', pec: '', errore: lines[3].errore },
      { code: found, stato: 'trovata', pec: SAMPLE.get(found)![0], errore: '' },
    ]);
    assert.match(lines[3].errore, /^Codice fiscale non valido: lunghezza errata/);
  });

  test('a code the account already requested is reported, not bought again, unless --rebuy is confirmed', TIMEOUT, async () => {
    // Not one the first test looked up.
    const [code] = [...SAMPLE.keys()].filter((c) => !c.startsWith('8') && !c.startsWith('00'));
    await clientOk(['lookup', code], fx.env);
    const before = await countRequests(fx.dataDir);
    const again = await runClient(['lookup', code], fx.env);
    assertNoStack(again);
    assert.equal(again.code, 1, 'exit 1: no answer for the code');
    const line = JSON.parse(again.stdout);
    assert.equal(line.stato, 'già richiesta');
    assert.match(line.errore, /^Richiesta già presente: .*nulla è stato addebitato.*--rebuy/);
    assert.deepEqual(await countRequests(fx.dataDir), before, 'nothing deleted, nothing submitted');

    // --rebuy with stdin not a terminal and no --yes: refused before anything is sent.
    const unconfirmed = await runClient(['lookup', '--rebuy', code], fx.env);
    assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /--rebuy charges codes again: .*add --yes/);
    assert.deepEqual(await countRequests(fx.dataDir), before);

    const rebought = await clientOk(['lookup', '--rebuy', '--yes', code], fx.env);
    assert.deepEqual(JSON.parse(rebought.stdout), { code, stato: 'trovata', pec: SAMPLE.get(code)![0], errore: '' });
    assert.match(rebought.stderr, /1 code already requested with this key will be deleted \(cf-delete\) and requested again; each is charged again/);
    const after = await countRequests(fx.dataDir);
    assert.equal(after.deleted, before.deleted + 1);
    assert.equal(after.total, before.total + 1);
  });

  test('flags beat env, env beats the config file; init writes the file 0600 from stdin lines', TIMEOUT, async () => {
    const config = join(fx.tmp, 'cfg', 'client.json');
    const init = await clientOk(['init', '--config', config], { HOME: fx.tmp }, { stdin: `${fx.server.url}\n${fx.key}\n` });
    assert.match(init.stdout, /wrote .*client\.json/);
    assert.match(init.stdout, /connected to .*saldo \d+\.\d\d/);
    assert.equal((await stat(config)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(config, 'utf8')), { server: fx.server.url, key: fx.key });

    // File only.
    const balance = await clientOk(['balance', '--config', config], { HOME: fx.tmp });
    assert.match(balance.stdout.trim(), /^\d+\.\d\d$/);
    // The default path (~/.config/cercapec/client.json, HOME in the temp dir).
    await mkdir(join(fx.tmp, '.config', 'cercapec'), { recursive: true });
    await writeFile(join(fx.tmp, '.config', 'cercapec', 'client.json'), JSON.stringify({ server: fx.server.url, key: 'cp_wrong_key_in_file' }), {
      mode: 0o600,
    });
    const fromFile = await runClient(['balance'], { HOME: fx.tmp, XDG_CONFIG_HOME: undefined });
    assert.match(fromFile.stderr, /refused the key/);
    // Env beats the file, a flag beats env.
    await clientOk(['balance'], { HOME: fx.tmp, XDG_CONFIG_HOME: undefined, CERCAPEC_KEY: fx.key });
    const flag = await runClient(['balance', '--key', 'cp_wrong_key_flag'], { HOME: fx.tmp, XDG_CONFIG_HOME: undefined, CERCAPEC_KEY: fx.key });
    assert.match(flag.stderr, /refused the key/);
  });

  test('errors are one readable line: wrong key, unreachable server, missing file, no code column', TIMEOUT, async () => {
    const wrongKey = await runClient(['lookup', '82003050109'], { ...fx.env, CERCAPEC_KEY: 'cp_not_a_real_key' });
    assert.notEqual(wrongKey.code, 0);
    assert.match(wrongKey.stderr, /the server refused the key \(Chiave non valida o disabilitata\)/);

    const port = await closedPort();
    const down = await runClient(['batch', join(fx.tmp, 'x.csv'), '-o', join(fx.tmp, 'y.csv')], { ...fx.env, CERCAPEC_SERVER: `http://127.0.0.1:${port}` });
    assert.match(down.stderr, /input file not found/, 'the file is checked first');
    await writeFile(join(fx.tmp, 'codes.csv'), 'piva\n82003050109\n');
    const unreachable = await runClient(['batch', join(fx.tmp, 'codes.csv'), '-o', join(fx.tmp, 'out.csv')], {
      ...fx.env,
      CERCAPEC_SERVER: `http://127.0.0.1:${port}`,
    });
    assert.match(unreachable.stderr, /cannot reach the server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);

    await writeFile(join(fx.tmp, 'names.csv'), 'nome;citta\nRossi;Genova\nBianchi;Milano\n');
    const noColumn = await runClient(['batch', join(fx.tmp, 'names.csv'), '-o', join(fx.tmp, 'out.csv')], fx.env);
    assert.match(noColumn.stderr, /no column of codici fiscali \/ partite IVA found \(columns: "nome", "citta"\); name it with --column/);
    const wrongColumn = await runClient(['batch', join(fx.tmp, 'codes.csv'), '-o', join(fx.tmp, 'out.csv'), '--column', 'cf'], fx.env);
    assert.match(wrongColumn.stderr, /no column named "cf"; the columns are "piva"/);

    const noConfig = await runClient(['lookup', '82003050109'], { HOME: fx.tmp, XDG_CONFIG_HOME: join(fx.tmp, 'nothing') });
    assert.match(noConfig.stderr, /no server configured/);

    for (const result of [wrongKey, down, unreachable, noColumn, wrongColumn, noConfig]) {
      assert.notEqual(result.code, 0);
      assertNoStack(result);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line:\n${result.stderr}`);
    }
  });
});
