import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.ts';
import { createLocalDirectory } from '../../src/registries/local-directory.ts';
import {
  cliOk,
  delay,
  IPA_SAMPLE,
  ipaSamplePecs,
  killAllChildren,
  lastLine,
  runCli,
  startServerProcess,
  wsGet,
  wsPost,
  type CliResult,
  type ServerProcess,
} from '../helpers/cli.ts';

const KEY = /^cp_[A-Za-z0-9_-]{32}$/;
const NO_LIMITS = { CERCAPEC_RATE_LIMIT_PER_KEY: '0', CERCAPEC_RATE_LIMIT_PER_IP: '0' };
const TIMEOUT = { timeout: 120_000 };

/** The rows of `accounts list` as objects keyed by its header. */
function parseList(stdout: string): Record<string, string>[] {
  const [header, ...rows] = stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  return rows.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}

function keyIdOf(stdout: string): string {
  const match = /^key (key_\S+)/m.exec(stdout);
  assert.ok(match, `no key id in:\n${stdout}`);
  return match[1];
}

/** A usage mistake: non-zero exit, one readable message on stderr, never a stack trace. */
function assertUsageError(result: CliResult, mentions: RegExp) {
  assert.notEqual(result.code, 0, `expected a failure, got exit 0\n${result.stdout}`);
  assert.match(result.stderr, mentions);
  assert.ok(!result.stderr.includes('    at '), `stack trace on stderr:\n${result.stderr}`);
  assert.ok(!result.stdout.includes('    at '), `stack trace on stdout:\n${result.stdout}`);
}

/** Polls a token until it is no longer WAIT (bounded). */
async function pollUntilAnswered(url: string, key: string, token: string, deadlineMs = 30_000): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const line = await wsGet(url, { key, token });
    if (!line.startsWith('WAIT|')) return line;
    if (Date.now() > deadline) assert.fail(`token ${token} still WAIT after ${deadlineMs} ms`);
    await delay(100);
  }
}

describe('cercapec CLI', () => {
  let dataDir: string;
  let tmp: string;
  const data = () => ['--data', dataDir];
  const NAME = 'Studio Rossi';
  let firstKey = '';
  const servers: ServerProcess[] = [];

  async function server(env: Record<string, string> = {}): Promise<ServerProcess> {
    const s = await startServerProcess({ dataDir, env: { ...NO_LIMITS, ...env } });
    servers.push(s);
    return s;
  }

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cercapec-cli-'));
    dataDir = join(tmp, 'data');
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await killAllChildren();
    await rm(tmp, { recursive: true, force: true });
  });

  test('accounts add prints the new key alone on the last line', TIMEOUT, async () => {
    const r = await cliOk(['accounts', 'add', '--name', NAME, '--billing', 'prepaid', '--price-cents', '10', '--credit-cents', '1000', ...data()]);
    firstKey = lastLine(r.stdout);
    assert.match(firstKey, KEY);
    assert.equal(r.stdout.trimEnd().split('\n').at(-1), firstKey, 'the last line holds the key and nothing else');
    assert.equal(r.stderr, '');
  });

  test('accounts list shows the opening balance', TIMEOUT, async () => {
    const r = await cliOk(['accounts', 'list', ...data()]);
    const rows = parseList(r.stdout);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].name, NAME);
    assert.equal(rows[0].billing, 'prepaid');
    assert.equal(rows[0].price, '10');
    assert.equal(rows[0].balance, '10.00');
    assert.equal(rows[0].keys, '1');
    assert.ok(!r.stdout.includes(firstKey), 'the list never shows a key');
  });

  test('accounts topup adds credit and prints the new balance', TIMEOUT, async () => {
    const r = await cliOk(['accounts', 'topup', NAME, '500', ...data()]);
    assert.match(r.stdout, /saldo 15\.00/);
    const rows = parseList((await cliOk(['accounts', 'list', ...data()])).stdout);
    assert.equal(rows[0].balance, '15.00');
  });

  test('ledger verify: exit 0 when every stored balance equals its ledger, 1 naming the account when one differs', TIMEOUT, async () => {
    const ok = await cliOk(['ledger', 'verify', ...data()]);
    assert.match(ok.stdout, /^ok: 1 accounts/m);
    const store = await openStore({ dataDir, migrate: false });
    try {
      await store.db.updateTable('accounts').set({ balance_cents: 1 }).execute();
      const bad = await runCli(['ledger', 'verify', ...data()]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /^MISMATCH acc_\S+\tStudio Rossi\tstored 0\.01\tledger 15\.00$/m);
    } finally {
      await store.db.updateTable('accounts').set({ balance_cents: 1500 }).execute();
      await store.close();
    }
  });

  test('keys add, keys list (prefixes only) and keys revoke, checked against a server', TIMEOUT, async () => {
    const added = await cliOk(['keys', 'add', NAME, '--label', 'gestionale', ...data()]);
    const secondKey = lastLine(added.stdout);
    assert.match(secondKey, KEY);
    assert.notEqual(secondKey, firstKey);
    const secondId = keyIdOf(added.stdout);

    const listed = await cliOk(['keys', 'list', NAME, ...data()]);
    const lines = listed.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const key of [firstKey, secondKey]) {
      assert.ok(!listed.stdout.includes(key), 'keys list must never print a full key');
      assert.ok(listed.stdout.includes(`${key.slice(0, 7)}...`), `prefix of ${key.slice(0, 7)} missing:\n${listed.stdout}`);
    }
    const secondLine = lines.find((l) => l.startsWith(secondId));
    assert.ok(secondLine, `key ${secondId} not listed`);
    assert.match(secondLine, /\tgestionale\tactive$/);

    const s = await server({ CERCAPEC_ROLE: 'api' });
    assert.equal(await wsPost(s.url, { key: secondKey, saldo: '' }), '15.00');

    const revoked = await cliOk(['keys', 'revoke', secondId, ...data()]);
    assert.match(revoked.stdout, new RegExp(`key ${secondId} revoked`));
    assert.equal(await wsPost(s.url, { key: secondKey, saldo: '' }), 'Error|Chiave non valida o disabilitata');
    assert.equal(await wsPost(s.url, { key: secondKey, cf: '82003050109' }), 'Error|Chiave non valida o disabilitata');
    assert.equal(await wsPost(s.url, { key: firstKey, saldo: '' }), '15.00', 'the other key still works');

    const after = await cliOk(['keys', 'list', NAME, ...data()]);
    assert.match(after.stdout.split('\n').find((l) => l.startsWith(secondId)) ?? '', /\trevoked \d{4}-/);
    await s.stop();
  });

  test('import of the IPA sample reports rows read, imported and rejected', TIMEOUT, async () => {
    const expectedAddresses = [...ipaSamplePecs().values()].reduce((n, pecs) => n + pecs.length, 0);
    const r = await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', ...data()]);
    assert.match(r.stdout, /^rows read: 48$/m);
    assert.match(r.stdout, new RegExp(`^addresses imported: ${expectedAddresses}$`, 'm'));
    assert.match(r.stdout, /^rows rejected: 0$/m);
    assert.match(r.stdout, /^dataset enti-sample-comuni\.csv \(ds_/m);
  });

  test('import of a generic CSV (BOM, `;`) lists rejected rows with line numbers and reasons', TIMEOUT, async () => {
    const file = join(tmp, 'generic.csv');
    await writeFile(
      file,
      '\uFEFF' +
        [
          'codice_fiscale;pec',
          '00743110157;amministrazione@pec.esempio.it', // 2: P.IVA with leading zeros
          'RSSMRA85T10A562S;mario.rossi@PEC.Esempio.IT', // 3: CF16, domain to lower-case
          '12345678901;sbagliato@pec.esempio.it', // 4: wrong check digit
          '02682200585;questa non è una pec', // 5: bad PEC
          'ABC;abc@pec.esempio.it', // 6: too short
          '06363391001;', // 7: empty PEC
          'it 06363391001;eni@pec.eni.com', // 8: VAT prefix and space, normalised
        ].join('\r\n') +
        '\r\n',
      'utf8',
    );
    const r = await cliOk(['import', file, '--format', 'csv', '--name', 'generico', ...data()]);
    assert.match(r.stdout, /^dataset generico \(ds_/m);
    assert.match(r.stdout, /^rows read: 7$/m);
    assert.match(r.stdout, /^addresses imported: 3$/m);
    assert.match(r.stdout, /^rows rejected: 4$/m);
    assert.match(r.stdout, /^ {2}line 4: codice_fiscale: cifra di controllo errata/m);
    assert.match(r.stdout, /^ {2}line 5: pec: indirizzo non valido$/m);
    assert.match(r.stdout, /^ {2}line 6: codice_fiscale: lunghezza errata/m);
    assert.match(r.stdout, /^ {2}line 7: pec: indirizzo non valido$/m);
    assert.doesNotMatch(r.stdout, /line [238]:/);

    const store = await openStore({ dataDir });
    try {
      const rows = await store.db
        .selectFrom('directory_entries')
        .innerJoin('datasets', 'datasets.id', 'directory_entries.dataset_id')
        .select(['directory_entries.code', 'directory_entries.pec'])
        .where('datasets.name', '=', 'generico')
        .orderBy('directory_entries.code')
        .execute();
      assert.deepEqual(rows, [
        { code: '00743110157', pec: 'amministrazione@pec.esempio.it' },
        { code: '06363391001', pec: 'eni@pec.eni.com' },
        { code: 'RSSMRA85T10A562S', pec: 'mario.rossi@pec.esempio.it' },
      ]);
    } finally {
      await store.close();
    }
  });

  test('importing the same dataset name again replaces it', TIMEOUT, async () => {
    const file = join(tmp, 'generic-v2.csv');
    await writeFile(file, 'codice_fiscale;pec\n00743110157;nuova@pec.esempio.it\n01114601006;nuovo.codice@pec.esempio.it\n', 'utf8');
    const r = await cliOk(['import', file, '--format', 'csv', '--name', 'generico', ...data()]);
    assert.match(r.stdout, /replacing the previous one/);
    assert.match(r.stdout, /^addresses imported: 2$/m);

    const store = await openStore({ dataDir });
    try {
      const datasets = await store.db.selectFrom('datasets').select('name').where('name', '=', 'generico').execute();
      assert.equal(datasets.length, 1);
      const directory = createLocalDirectory(store);
      const look = (code: string) =>
        directory.lookup({ requestId: 'test', code, kind: code.length === 16 ? 'cf16' : 'cf11', reference: null }, new AbortController().signal);
      // Old codes are gone, new ones are there, a replaced code has only its new address.
      assert.deepEqual(await look('RSSMRA85T10A562S'), { outcome: 'not_found' });
      assert.deepEqual(await look('06363391001'), { outcome: 'not_found' });
      const replaced = await look('00743110157');
      assert.equal(replaced.outcome, 'found');
      assert.deepEqual(replaced.outcome === 'found' && replaced.addresses.map((a) => a.pec), ['nuova@pec.esempio.it']);
      const added = await look('01114601006');
      assert.deepEqual(added.outcome === 'found' && added.addresses.map((a) => a.pec), ['nuovo.codice@pec.esempio.it']);
      // The other dataset is untouched.
      const ipa = await look('82003050109');
      assert.deepEqual(ipa.outcome === 'found' && ipa.addresses.map((a) => a.pec), ipaSamplePecs().get('82003050109'));
      // No entries left behind by the replaced dataset.
      const orphans = await store.db
        .selectFrom('directory_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('dataset_id', 'not in', (eb) => eb.selectFrom('datasets').select('id'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(orphans.n), 0);
    } finally {
      await store.close();
    }
  });

  test('validate prints one line per code; exit 0 when all are valid', TIMEOUT, async () => {
    const r = await runCli(['validate', 'rssmra85t10a562s', 'IT 00743110157', ' 82003050109 ']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), ['RSSMRA85T10A562S\tvalid\tcf16', '00743110157\tvalid\tcf11', '82003050109\tvalid\tcf11']);
  });

  test('validate exits 1 when any code is invalid, with the reason', TIMEOUT, async () => {
    const r = await runCli(['validate', '00743110157', '12345678901', 'ABC']);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], '00743110157\tvalid\tcf11');
    assert.match(lines[1], /^12345678901\tinvalid\tcifra di controllo errata \(attesa 3\)$/);
    assert.match(lines[2], /^ABC\tinvalid\tlunghezza errata/);
    assert.ok(!r.stderr.includes('    at '));
  });

  test('bad usage: a readable message on stderr, non-zero exit, no stack trace', TIMEOUT, async () => {
    const add = ['accounts', 'add', ...data()];
    assertUsageError(await runCli([...add, '--name', 'X', '--billing', 'weekly', '--price-cents', '10']), /--billing must be prepaid or postpaid/);
    assertUsageError(await runCli([...add, '--billing', 'prepaid', '--price-cents', '10']), /required option '--name <name>' not specified/);
    assertUsageError(await runCli(['frobnicate']), /unknown command 'frobnicate'/);
    assertUsageError(await runCli([...add, '--name', 'X', '--billing', 'prepaid', '--price-cents', 'dieci']), /--price-cents must be a whole number of cents/);
    assertUsageError(await runCli(['accounts', 'topup', 'nessuno', '100', ...data()]), /no account "nessuno"/);
    assertUsageError(await runCli(['accounts', 'topup', NAME, '1.5', ...data()]), /whole number of cents/);
    assertUsageError(await runCli(['import', join(tmp, 'missing.csv'), '--format', 'csv', ...data()]), /cannot read/);
    assertUsageError(await runCli(['import', IPA_SAMPLE, '--format', 'xlsx', ...data()]), /--format must be csv or ipa-enti/);
    assertUsageError(await runCli(['keys', 'revoke', 'key_nonexistent', ...data()]), /no API key key_nonexistent/);
    // The mistakes above changed nothing.
    const rows = parseList((await cliOk(['accounts', 'list', ...data()])).stdout);
    assert.deepEqual(
      rows.map((r) => [r.name, r.balance]),
      [[NAME, '15.00']],
    );
  });

  test('admin commands on the data folder of a running server take effect at once', TIMEOUT, async () => {
    const s = await server();
    assert.equal(await wsPost(s.url, { key: firstKey, saldo: '' }), '15.00');

    await cliOk(['accounts', 'topup', NAME, '250', '--reason', 'bonifico', ...data()]);
    assert.equal(await wsPost(s.url, { key: firstKey, saldo: '' }), '17.50');
    await cliOk(['accounts', 'topup', NAME, '-50', ...data()]);
    assert.equal(await wsPost(s.url, { key: firstKey, saldo: '' }), '17.00');

    const newKey = lastLine((await cliOk(['keys', 'add', NAME, ...data()])).stdout);
    assert.match(newKey, KEY);
    assert.equal(await wsPost(s.url, { key: newKey, saldo: '' }), '17.00');

    // A code no dataset holds yet; then a dataset with it, imported while the server runs.
    const code = '09876543217';
    assert.equal((await runCli(['validate', code])).code, 0);
    const before = await wsPost(s.url, { key: firstKey, cf: code });
    assert.match(before, /^OK\|/);
    assert.equal(await pollUntilAnswered(s.url, firstKey, before.slice(3)), 'OK||pec non trovata');
    assert.equal(await wsPost(s.url, { key: firstKey, 'cf-delete': code }), 'OK|richiesta cancellata correttamente');

    const file = join(tmp, 'live.csv');
    await writeFile(file, 'codice_fiscale,pec\n09876543217,ufficio@pec.nuovo.it\n', 'utf8');
    await cliOk(['import', file, '--format', 'csv', '--name', 'live', ...data()]);
    const after = await wsPost(s.url, { key: newKey, cf: code });
    assert.match(after, /^OK\|/);
    assert.equal(await pollUntilAnswered(s.url, newKey, after.slice(3)), 'OK|ufficio@pec.nuovo.it|pec trovata');
    assert.equal(await wsPost(s.url, { key: newKey, saldo: '' }), '16.80', 'two requests charged 10 cents each');

    const stopped = await s.stop();
    assert.equal(stopped.code, 0, `graceful stop exit code; output:\n${s.output()}`);
  });
});
