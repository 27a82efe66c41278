/**
 * The trovapec text protocol (`/index_ws.php`) end to end through `app.inject`: every answer
 * line, for urlencoded and multipart POSTs and for GET query strings. Stateful behaviour
 * (submit, poll, cancel, balance, keys) runs on every dialect; pure input validation on SQLite.
 */
import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { revokeApiKey } from '../../src/accounts/api-keys.ts';
import { isPending } from '../../src/lookups/lookup-status.ts';

const URL_PATH = '/index_ws.php';
const SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));

/** In the IPA sample. */
const FOUND_CODE = '82003050109';
const FOUND_PEC = 'protocollo@pec.comune.rezzoaglio.ge.it';
/** Valid codes that are not in the sample. */
const MISSING_CF11 = '00743110157';
const MISSING_CF16 = 'RSSMRA85T10A562S';

/** Long enough for any test, short enough never to look like a stall. Not a sleep: resolves on the answer. */
const ANSWER_TIMEOUT_MS = 15_000;

const FORM = 'application/x-www-form-urlencoded';
const STACK_TRACE = /\n\s*at |node_modules|\.ts:\d+|\.js:\d+|TypeError|ReferenceError|SyntaxError|Error:/;

type Fields = Record<string, string> | Array<[string, string]>;
type PostEncoding = 'form' | 'multipart';
const POST_ENCODINGS: readonly PostEncoding[] = ['form', 'multipart'];

interface Line {
  status: number;
  line: string;
  headers: Record<string, unknown>;
}

function entries(fields: Fields): Array<[string, string]> {
  return Array.isArray(fields) ? fields : Object.entries(fields);
}

/** A multipart/form-data body built by hand, so repeated fields and odd values go through verbatim. */
function multipartBody(fields: Fields): { payload: Buffer; contentType: string } {
  const boundary = `----cercapec${randomBytes(8).toString('hex')}`;
  const parts = entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return {
    payload: Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8'),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

function postOptions(fields: Fields, encoding: PostEncoding): InjectOptions {
  if (encoding === 'form') {
    return { method: 'POST', url: URL_PATH, headers: { 'content-type': FORM }, payload: new URLSearchParams(entries(fields)).toString() };
  }
  const { payload, contentType } = multipartBody(fields);
  return { method: 'POST', url: URL_PATH, headers: { 'content-type': contentType }, payload };
}

/**
 * Sends a request and checks what every protocol answer must be: text/plain utf-8, exactly one
 * line, never a 5xx, never a stack trace.
 */
async function call(app: FastifyInstance, options: InjectOptions): Promise<Line> {
  const res = await app.inject(options);
  const where = `${options.method} ${options.url} -> ${res.statusCode} ${JSON.stringify(res.body.slice(0, 300))}`;
  assert.ok(res.statusCode < 500, `5xx: ${where}`);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', where);
  assert.ok(res.body.length > 0, `empty body: ${where}`);
  assert.doesNotMatch(res.body, /[\r\n]/, `more than one line: ${where}`);
  assert.doesNotMatch(res.body, STACK_TRACE, `stack trace text: ${where}`);
  return { status: res.statusCode, line: res.body, headers: res.headers };
}

async function post(app: FastifyInstance, fields: Fields, encoding: PostEncoding = 'form'): Promise<Line> {
  return call(app, postOptions(fields, encoding));
}

async function get(app: FastifyInstance, fields: Fields): Promise<Line> {
  const query = new URLSearchParams(entries(fields)).toString();
  return call(app, { method: 'GET', url: query ? `${URL_PATH}?${query}` : URL_PATH });
}

/** POST that must answer 200 with this exact line. */
async function expectPost(app: FastifyInstance, fields: Fields, encoding: PostEncoding, expected: string | RegExp) {
  const { status, line } = await post(app, fields, encoding);
  if (typeof expected === 'string') assert.equal(line, expected);
  else assert.match(line, expected);
  assert.equal(status, 200, line);
  return line;
}

async function expectGet(app: FastifyInstance, fields: Fields, expected: string | RegExp) {
  const { status, line } = await get(app, fields);
  if (typeof expected === 'string') assert.equal(line, expected);
  else assert.match(line, expected);
  assert.equal(status, 200, line);
  return line;
}

const TOKEN_LINE = /^OK\|([A-Za-z0-9_-]{22,})$/;

async function submit(app: FastifyInstance, key: string, cf: string, encoding: PostEncoding = 'form'): Promise<string> {
  const line = await expectPost(app, { key, cf }, encoding, TOKEN_LINE);
  return TOKEN_LINE.exec(line)![1];
}

async function saldo(app: FastifyInstance, key: string, encoding: PostEncoding = 'form'): Promise<string> {
  return expectPost(app, { key, saldo: '' }, encoding, /^-?\d+\.\d{2}$/);
}

async function importSample(h: Harness): Promise<void> {
  await importDataset(h.store, h.clock, { file: SAMPLE, format: 'ipa-enti', name: 'ipa-enti-test' });
}

/**
 * Starts the worker and waits (through the notifier, not sleeps) until every token is answered.
 * Subscribes before reading the rows, so an answer given earlier (inline at submit, or by a
 * worker already running) is not waited for and one given in between is not missed.
 */
async function answerAll(h: Harness, tokens: string[]): Promise<void> {
  const stop = new AbortController();
  try {
    const waits = tokens.map((t) => h.services.notifier.waitForAnswer(t, ANSWER_TIMEOUT_MS, stop.signal));
    const rows = await h.store.db.selectFrom('requests').select(['id', 'status']).where('id', 'in', tokens).execute();
    assert.equal(rows.length, tokens.length, 'every token is a stored request');
    const pending = new Set(rows.filter((r) => isPending(r.status)).map((r) => r.id));
    h.worker.start();
    const answered = await Promise.all(tokens.map((t, i) => (pending.has(t) ? waits[i] : true)));
    assert.deepEqual(
      answered,
      tokens.map(() => true),
      'every request answered',
    );
  } finally {
    stop.abort(); // clears the timers of the waits not needed
  }
}

/**
 * For the tests about a request still waiting for its answer (WAIT, cancel with refund): every
 * submission goes through the queue, as when the chain has sources that are not asked inline.
 * A no-op where submissions are never answered inline.
 */
function queueOnly(h: Harness): void {
  Object.assign(h.services.lookups, { inline: undefined });
}

// ---------------------------------------------------------------------------------------------
// Stateful behaviour, on every dialect
// ---------------------------------------------------------------------------------------------

await eachDialect(describe, 'text protocol', (dialect) => {
  let h: Harness;
  let app: FastifyInstance;

  beforeEach(async () => {
    h = await createHarness(dialect);
    app = h.app;
    await importSample(h);
  });
  afterEach(async () => {
    await h.close();
  });

  for (const enc of POST_ENCODINGS) {
    describe(`POST ${enc}`, () => {
      test('submit answers OK|<token>, tokens are base64url, >= 22 characters and distinct', async () => {
        const { key } = await h.account();
        const codes = [FOUND_CODE, MISSING_CF11, MISSING_CF16, '84000950133'];
        const tokens = [];
        for (const cf of codes) tokens.push(await submit(app, key, cf, enc));
        assert.equal(new Set(tokens).size, codes.length, 'distinct tokens');
        for (const t of tokens) assert.ok(t.length >= 22, t);
      });

      test('the same code again, in any spelling, is a duplicate and is not charged', async () => {
        const { key } = await h.account();
        await submit(app, key, MISSING_CF11, enc);
        assert.equal(await saldo(app, key, enc), '9.90');
        for (const spelling of [MISSING_CF11, ` ${MISSING_CF11} `, 'IT00743110157', 'it 00743110157', '0074 3110 157', 'IT-007.431.101.57']) {
          await expectPost(app, { key, cf: spelling }, enc, 'Error|Richiesta già presente');
        }
        await submit(app, key, MISSING_CF16, enc);
        for (const spelling of ['rssmra85t10a562s', 'RSS MRA 85T10 A562S', 'rssmra85T10a562S']) {
          await expectPost(app, { key, cf: spelling }, enc, 'Error|Richiesta già presente');
        }
        assert.equal(await saldo(app, key, enc), '9.80', 'duplicates never charged');
      });

      test('different accounts may submit the same code, each with its own token', async () => {
        const a = await h.account();
        const b = await h.account();
        const ta = await submit(app, a.key, FOUND_CODE, enc);
        const tb = await submit(app, b.key, FOUND_CODE, enc);
        assert.notEqual(ta, tb);
        assert.equal(await saldo(app, a.key, enc), '9.90');
        assert.equal(await saldo(app, b.key, enc), '9.90');
        await answerAll(h, [ta, tb]);
        await expectGet(app, { key: a.key, token: ta }, `OK|${FOUND_PEC}|pec trovata`);
        await expectGet(app, { key: b.key, token: tb }, `OK|${FOUND_PEC}|pec trovata`);
      });

      test('cf-delete before processing cancels, refunds, and the code can be requested again', async () => {
        queueOnly(h);
        const { key } = await h.account();
        const token = await submit(app, key, FOUND_CODE, enc);
        assert.equal(await saldo(app, key, enc), '9.90');
        await expectPost(app, { key, 'cf-delete': FOUND_CODE }, enc, 'OK|richiesta cancellata correttamente');
        assert.equal(await saldo(app, key, enc), '10.00', 'refunded');
        await expectGet(app, { key, token }, 'ERROR|Richiesta cancellata');

        const again = await submit(app, key, FOUND_CODE, enc);
        assert.notEqual(again, token);
        assert.equal(await saldo(app, key, enc), '9.90', 'charged again for the new request');
        await answerAll(h, [again]);
        await expectGet(app, { key, token: again }, `OK|${FOUND_PEC}|pec trovata`);
        // The cancelled request is never answered afterwards, and its refund stays.
        await h.worker.idle();
        await expectGet(app, { key, token }, 'ERROR|Richiesta cancellata');
        assert.equal(await saldo(app, key, enc), '9.90');
      });

      test('cf-delete of an answered request keeps the charge and frees the code', async () => {
        const { key } = await h.account();
        const token = await submit(app, key, MISSING_CF16, enc);
        await answerAll(h, [token]);
        await expectGet(app, { key, token }, 'OK||pec non trovata');
        assert.equal(await saldo(app, key, enc), '9.90');
        await expectPost(app, { key, 'cf-delete': 'rssmra85t10a562s' }, enc, 'OK|richiesta cancellata correttamente');
        assert.equal(await saldo(app, key, enc), '9.90', 'no refund for an answered request');
        await expectGet(app, { key, token }, 'ERROR|Richiesta cancellata');
        await expectPost(app, { key, 'cf-delete': MISSING_CF16 }, enc, 'Error|Nessuna richiesta presente per questo codice');
        await submit(app, key, MISSING_CF16, enc);
        assert.equal(await saldo(app, key, enc), '9.80');
      });

      test('cf-delete without a request, with an invalid code, or without a code', async () => {
        const { key } = await h.account();
        await expectPost(app, { key, 'cf-delete': FOUND_CODE }, enc, 'Error|Nessuna richiesta presente per questo codice');
        await expectPost(app, { key, 'cf-delete': '00743110158' }, enc, /^Error\|Codice fiscale non valido: .*cifra di controllo/);
        await expectPost(app, { key, 'cf-delete': 'RSSMRA85T10A56' }, enc, /^Error\|Codice fiscale non valido: .*lunghezza/);
        await expectPost(app, { key, 'cf-delete': '' }, enc, 'Error|Parametro cf-delete mancante');
        await expectPost(app, { key, 'cf-delete': '   ' }, enc, 'Error|Parametro cf-delete mancante');
        // Another account's request is not this account's to delete.
        const other = await h.account();
        await submit(app, other.key, MISSING_CF11, enc);
        await expectPost(app, { key, 'cf-delete': MISSING_CF11 }, enc, 'Error|Nessuna richiesta presente per questo codice');
        assert.equal(await saldo(app, other.key, enc), '9.90', 'the other account was not refunded');
        assert.equal(await saldo(app, key, enc), '10.00');
      });

      test('saldo: two decimals with a dot, with or without a value, decreasing by the price', async () => {
        const { key } = await h.account();
        await expectPost(app, { key, saldo: '' }, enc, '10.00');
        await expectPost(app, { key, saldo: 'qualsiasi' }, enc, '10.00');
        await submit(app, key, FOUND_CODE, enc);
        await expectPost(app, { key, saldo: '' }, enc, '9.90');

        const big = await h.account({ initialCreditCents: 123_405, priceCents: 25 });
        await expectPost(app, { key: big.key, saldo: '' }, enc, '1234.05');
        await submit(app, big.key, FOUND_CODE, enc);
        await expectPost(app, { key: big.key, saldo: '' }, enc, '1233.80');

        const empty = await h.account({ initialCreditCents: 0 });
        await expectPost(app, { key: empty.key, saldo: '' }, enc, '0.00');
      });

      test('saldo of a postpaid account goes negative', async () => {
        const { key } = await h.account({ billingMode: 'postpaid', initialCreditCents: 0 });
        assert.equal(await saldo(app, key, enc), '0.00');
        await submit(app, key, FOUND_CODE, enc);
        assert.equal(await saldo(app, key, enc), '-0.10');
        await submit(app, key, MISSING_CF11, enc);
        assert.equal(await saldo(app, key, enc), '-0.20');
      });

      test('prepaid without enough credit: Credito insufficiente, nothing charged, nothing stored', async () => {
        queueOnly(h);
        const broke = await h.account({ initialCreditCents: 0 });
        await expectPost(app, { key: broke.key, cf: FOUND_CODE }, enc, 'Error|Credito insufficiente');
        assert.equal(await saldo(app, broke.key, enc), '0.00');
        await expectPost(app, { key: broke.key, 'cf-delete': FOUND_CODE }, enc, 'Error|Nessuna richiesta presente per questo codice');

        const short = await h.account({ initialCreditCents: 15, priceCents: 10 });
        await submit(app, short.key, FOUND_CODE, enc);
        assert.equal(await saldo(app, short.key, enc), '0.05');
        await expectPost(app, { key: short.key, cf: MISSING_CF11 }, enc, 'Error|Credito insufficiente');
        await expectPost(app, { key: short.key, cf: MISSING_CF11 }, enc, 'Error|Credito insufficiente');
        assert.equal(await saldo(app, short.key, enc), '0.05', 'insufficient credit is never charged');
        // A refund makes room again.
        await expectPost(app, { key: short.key, 'cf-delete': FOUND_CODE }, enc, 'OK|richiesta cancellata correttamente');
        await submit(app, short.key, MISSING_CF11, enc);
        assert.equal(await saldo(app, short.key, enc), '0.05');
      });

      test('invalid codes name the reason and are never charged', async () => {
        const { key } = await h.account();
        const cases: Array<[string, RegExp]> = [
          ['RSSMRA85T10A562X', /carattere di controllo errato \(atteso "S"\)/],
          ['RSSMRA85B30A562G', /data di nascita inesistente/],
          ['RSSMRA85T10A56', /lunghezza errata \(14 caratteri/],
          ['00743110158', /cifra di controllo errata \(attesa 7\)/],
          ['RSSMRA85T10A56!', /carattere non ammesso "!"/],
          ['12345', /lunghezza errata/],
        ];
        for (const [cf, reason] of cases) {
          const line = await expectPost(app, { key, cf }, enc, /^Error\|Codice fiscale non valido: /);
          assert.match(line, reason, cf);
          assert.ok(!line.includes(cf), `the code itself is not echoed: ${line}`);
        }
        assert.equal(await saldo(app, key, enc), '10.00');
      });

      test('unknown, revoked and disabled keys are refused alike', async () => {
        const live = await h.account();
        await expectPost(app, { key: `cp_${randomBytes(24).toString('base64url')}`, saldo: '' }, enc, 'Error|Chiave non valida o disabilitata');

        const revoked = await h.account();
        const row = await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', revoked.id).executeTakeFirstOrThrow();
        await saldo(app, revoked.key, enc);
        await revokeApiKey(h.store, { accountId: revoked.id, keyId: row.id }, h.clock.now());
        await expectPost(app, { key: revoked.key, saldo: '' }, enc, 'Error|Chiave non valida o disabilitata');
        await expectPost(app, { key: revoked.key, cf: FOUND_CODE }, enc, 'Error|Chiave non valida o disabilitata');

        const disabled = await h.account();
        await h.store.db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
        await expectPost(app, { key: disabled.key, saldo: '' }, enc, 'Error|Chiave non valida o disabilitata');
        await expectPost(app, { key: disabled.key, cf: FOUND_CODE }, enc, 'Error|Chiave non valida o disabilitata');
        await expectPost(app, { key: disabled.key, 'cf-delete': FOUND_CODE }, enc, 'Error|Chiave non valida o disabilitata');

        assert.equal(await saldo(app, live.key, enc), '10.00', 'other accounts unaffected');
        const charged = await h.store.db.selectFrom('ledger').select('id').where('kind', '=', 'charge').execute();
        assert.equal(charged.length, 0, 'refused keys are never charged');
      });
    });
  }

  describe('GET poll', () => {
    test('WAIT|<token> before processing, then found / not found', async () => {
      queueOnly(h);
      const { key } = await h.account();
      const found = await submit(app, key, FOUND_CODE);
      const missing11 = await submit(app, key, MISSING_CF11, 'multipart');
      const missing16 = await submit(app, key, MISSING_CF16);
      for (const token of [found, missing11, missing16]) {
        await expectGet(app, { key, token }, `WAIT|${token}`);
        await expectGet(app, { key, token }, `WAIT|${token}`);
      }
      await answerAll(h, [found, missing11, missing16]);
      await expectGet(app, { key, token: found }, `OK|${FOUND_PEC}|pec trovata`);
      await expectGet(app, { key, token: missing11 }, 'OK||pec non trovata');
      await expectGet(app, { key, token: missing16 }, 'OK||pec non trovata');
      // Polling again is stable and free.
      await expectGet(app, { key, token: found }, `OK|${FOUND_PEC}|pec trovata`);
      assert.equal(await saldo(app, key), '9.70');
    });

    test('a cancelled request answers ERROR|Richiesta cancellata', async () => {
      queueOnly(h);
      const { key } = await h.account();
      const token = await submit(app, key, MISSING_CF11);
      await expectPost(app, { key, 'cf-delete': MISSING_CF11 }, 'form', 'OK|richiesta cancellata correttamente');
      await expectGet(app, { key, token }, 'ERROR|Richiesta cancellata');
    });

    test("an unknown token and another account's token get exactly the same line", async () => {
      const a = await h.account();
      const b = await h.account();
      const token = await submit(app, a.key, FOUND_CODE);
      const unknown = await get(app, { key: b.key, token: randomBytes(18).toString('base64url') });
      const foreign = await get(app, { key: b.key, token });
      assert.deepEqual([unknown.status, unknown.line], [200, 'ERROR|Token sconosciuto']);
      assert.deepEqual([foreign.status, foreign.line], [unknown.status, unknown.line]);
      await answerAll(h, [token]);
      const foreignAnswered = await get(app, { key: b.key, token });
      assert.equal(foreignAnswered.line, 'ERROR|Token sconosciuto');
      await expectGet(app, { key: a.key, token }, `OK|${FOUND_PEC}|pec trovata`);
      await expectGet(app, { key: a.key, token: 'x'.repeat(200) }, 'ERROR|Token sconosciuto');
    });

    test('GET refuses unknown, revoked and disabled keys with ERROR|', async () => {
      queueOnly(h);
      const acc = await h.account();
      const token = await submit(app, acc.key, FOUND_CODE);
      await expectGet(app, { key: 'cp_nonexistent', token }, 'ERROR|Chiave non valida o disabilitata');
      await h.store.db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', acc.id).execute();
      await expectGet(app, { key: acc.key, token }, 'ERROR|Chiave non valida o disabilitata');
      await h.store.db.updateTable('accounts').set({ status: 'active' }).where('id', '=', acc.id).execute();
      await expectGet(app, { key: acc.key, token }, `WAIT|${token}`);
      const row = await h.store.db.selectFrom('api_keys').select('id').where('account_id', '=', acc.id).executeTakeFirstOrThrow();
      await revokeApiKey(h.store, { accountId: acc.id, keyId: row.id }, h.clock.now());
      await expectGet(app, { key: acc.key, token }, 'ERROR|Chiave non valida o disabilitata');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Input validation, transport errors, malformed bodies: SQLite only
// ---------------------------------------------------------------------------------------------

describe('text protocol input validation [sqlite]', () => {
  let h: Harness;
  let app: FastifyInstance;
  let key: string;

  before(async () => {
    h = await createHarness('sqlite');
    app = h.app;
    key = (await h.account({ initialCreditCents: 1_000_000 })).key;
  });
  after(async () => {
    await h.close();
  });

  for (const enc of POST_ENCODINGS) {
    describe(`POST ${enc}`, () => {
      test('missing or empty key', async () => {
        await expectPost(app, { cf: FOUND_CODE }, enc, 'Error|Parametro key mancante');
        await expectPost(app, { key: '', cf: FOUND_CODE }, enc, 'Error|Parametro key mancante');
        await expectPost(app, { key: '  ', saldo: '' }, enc, 'Error|Parametro key mancante');
        await expectPost(app, { key: 'nope', cf: FOUND_CODE }, enc, 'Error|Chiave non valida o disabilitata');
      });

      test('missing operation, empty cf, token only', async () => {
        await expectPost(app, { key }, enc, 'Error|Operazione mancante: inviare cf, cf-delete o saldo');
        await expectPost(app, { key, cf: '' }, enc, 'Error|Parametro cf mancante');
        await expectPost(app, { key, cf: ' \t ' }, enc, 'Error|Parametro cf mancante');
        await expectPost(app, { key, token: 'abc' }, enc, "Error|Per conoscere l'esito usare il metodo GET con key e token");
      });

      test('ambiguous operations', async () => {
        const ambiguous = 'Error|Richiesta ambigua: inviare uno solo tra cf, cf-delete e saldo';
        await expectPost(app, { key, cf: FOUND_CODE, saldo: '' }, enc, ambiguous);
        await expectPost(app, { key, cf: FOUND_CODE, 'cf-delete': FOUND_CODE }, enc, ambiguous);
        await expectPost(app, { key, 'cf-delete': FOUND_CODE, saldo: '' }, enc, ambiguous);
      });

      test('repeated and overlong fields', async () => {
        await expectPost(
          app,
          [
            ['key', key],
            ['key', key],
            ['saldo', ''],
          ],
          enc,
          'Error|Parametro key ripetuto',
        );
        await expectPost(
          app,
          [
            ['key', key],
            ['cf', FOUND_CODE],
            ['cf', FOUND_CODE],
          ],
          enc,
          'Error|Parametro cf ripetuto',
        );
        await expectPost(app, { key: 'k'.repeat(600), saldo: '' }, enc, 'Error|Parametro key troppo lungo');
        await expectPost(app, { key, cf: '9'.repeat(2000) }, enc, 'Error|Parametro cf troppo lungo');
      });

      test('invalid codes, each with its reason', async () => {
        const cases: Array<[string, RegExp]> = [
          ['RSSMRA85T10A562X', /carattere di controllo errato/],
          ['RSSMRA85B30A562G', /data di nascita inesistente \(30\/02\)/],
          ['RSSMRA85T10A56', /lunghezza errata/],
          ['00743110158', /cifra di controllo errata/],
          ['RSSMRA85Z10A562S', /mese/],
          ['00000000000', /matricola nulla/],
          ['RSSMRA85T10A562Ş', /carattere non ammesso "Ş"/],
          ['RSSMRA85T10A562\u0000', /carattere non ammesso U\+0000/],
          ['IT0074311015', /prefisso IT/],
        ];
        for (const [cf, reason] of cases) {
          const line = await expectPost(app, { key, cf }, enc, /^Error\|Codice fiscale non valido: \S/);
          assert.match(line, reason, `${JSON.stringify(cf)}: ${line}`);
        }
      });

      test('GET-only and POST-only operations point to the right method', async () => {
        await expectGet(app, { key, cf: FOUND_CODE }, 'ERROR|Metodo non consentito: per cf usare il metodo POST');
        await expectGet(app, { key, 'cf-delete': FOUND_CODE }, 'ERROR|Metodo non consentito: per cf-delete usare il metodo POST');
        await expectGet(app, { key, saldo: '' }, 'ERROR|Metodo non consentito: per saldo usare il metodo POST');
      });
    });
  }

  test('the same fields posted with FormData bytes work like a hand-built multipart body', async () => {
    const form = new FormData();
    form.append('key', key);
    form.append('saldo', '');
    const res = new Response(form);
    const { status, line } = await call(app, {
      method: 'POST',
      url: URL_PATH,
      headers: { 'content-type': res.headers.get('content-type')! },
      payload: Buffer.from(await res.arrayBuffer()),
    });
    assert.equal(status, 200);
    assert.match(line, /^\d+\.\d{2}$/);
  });

  test('a bare saldo field (no "=") counts as present', async () => {
    const { line } = await call(app, { method: 'POST', url: URL_PATH, headers: { 'content-type': FORM }, payload: `key=${key}&saldo` });
    assert.match(line, /^\d+\.\d{2}$/);
  });

  test('a body with no content type, or text/plain, is read as a form', async () => {
    const body = `key=${encodeURIComponent(key)}&saldo=`;
    for (const headers of [
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'text/plain; charset=utf-8' },
      { 'content-type': 'application/octet-stream' },
    ]) {
      const { status, line } = await call(app, { method: 'POST', url: URL_PATH, headers, payload: Buffer.from(body) });
      assert.equal(status, 200, JSON.stringify(headers));
      assert.match(line, /^\d+\.\d{2}$/, `${JSON.stringify(headers)}: ${line}`);
    }
    const { line } = await call(app, { method: 'POST', url: URL_PATH, headers: { 'content-type': 'text/plain' }, payload: `key=${key}&cf=RSSMRA85T10A562X` });
    assert.match(line, /^Error\|Codice fiscale non valido: carattere di controllo/);
  });

  test('GET without key, with an empty token, without a token', async () => {
    const { status, line } = await get(app, { token: 'abc' });
    assert.equal(line, 'ERROR|Parametro key mancante');
    assert.equal(status, 200);
    await expectGet(app, {}, 'ERROR|Parametro key mancante');
    await expectGet(app, { key }, 'ERROR|Parametro token mancante');
    await expectGet(app, { key, token: '' }, 'ERROR|Parametro token mancante');
    await expectGet(app, { key: 'nope', token: 'abc' }, 'ERROR|Chiave non valida o disabilitata');
    await expectGet(
      app,
      [
        ['key', key],
        ['token', 'a'],
        ['token', 'b'],
      ],
      'ERROR|Parametro token ripetuto',
    );
    await expectGet(
      app,
      [
        ['key', key],
        ['key', key],
        ['token', 'a'],
      ],
      'ERROR|Parametro key ripetuto',
    );
  });

  test('POST without key answers Error|, GET without key answers ERROR|', async () => {
    await expectPost(app, { saldo: '' }, 'form', 'Error|Parametro key mancante');
    await expectGet(app, { token: 'x' }, 'ERROR|Parametro key mancante');
  });

  for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
    test(`${method} answers 405 with an Error| line`, async () => {
      const { status, line, headers } = await call(app, {
        method,
        url: URL_PATH,
        headers: { 'content-type': FORM },
        payload: `key=${key}&cf=${FOUND_CODE}`,
      });
      assert.equal(status, 405);
      assert.equal(line, 'Error|Metodo non consentito: usare GET o POST');
      assert.match(String(headers.allow), /GET/);
      assert.match(String(headers.allow), /POST/);
    });
  }

  test('a body over the limit answers 413 Richiesta troppo grande, in every encoding', async () => {
    const limit = h.services.config.bodyLimitBytes;
    const huge = 'A'.repeat(limit + 1024);
    const bodies: InjectOptions[] = [
      { method: 'POST', url: URL_PATH, headers: { 'content-type': FORM }, payload: `key=${key}&cf=${huge}` },
      { method: 'POST', url: URL_PATH, headers: {}, payload: Buffer.from(`key=${key}&cf=${huge}`) },
      { method: 'POST', url: URL_PATH, headers: { 'content-type': 'text/plain' }, payload: `key=${key}&cf=${huge}` },
      { method: 'POST', url: URL_PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ key, cf: huge }) },
      postOptions({ key, cf: huge }, 'multipart'),
    ];
    for (const options of bodies) {
      const { status, line } = await call(app, options);
      assert.equal(status, 413, `${JSON.stringify(options.headers)}: ${line}`);
      assert.equal(line, 'Error|Richiesta troppo grande', JSON.stringify(options.headers));
    }
  });

  test('a multipart file upload answers 413 File non ammessi', async () => {
    const form = new FormData();
    form.append('key', key);
    form.append('cf', new Blob([FOUND_CODE], { type: 'text/plain' }), 'codici.txt');
    const res = new Response(form);
    const { status, line } = await call(app, {
      method: 'POST',
      url: URL_PATH,
      headers: { 'content-type': res.headers.get('content-type')! },
      payload: Buffer.from(await res.arrayBuffer()),
    });
    assert.equal(status, 413);
    assert.match(line, /^Error\|File non ammessi/);
    assert.equal(line, 'Error|File non ammessi: inviare solo campi di testo');
  });

  test('garbage, invalid UTF-8 and huge values answer an Error| line, never 5xx', async () => {
    const invalidUtf8 = await call(app, {
      method: 'POST',
      url: URL_PATH,
      headers: { 'content-type': FORM },
      payload: Buffer.concat([Buffer.from(`key=${key}&cf=`), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80])]),
    });
    assert.match(invalidUtf8.line, /^Error\|Codice fiscale non valido: carattere non ammesso/);
    const garbage = await call(app, { method: 'POST', url: URL_PATH, headers: { 'content-type': FORM }, payload: randomBytes(4096) });
    assert.match(garbage.line, /^Error\|/);
    const hugeKey = await call(app, { method: 'GET', url: `${URL_PATH}?key=${'k'.repeat(50_000)}&token=x` });
    assert.equal(hugeKey.line, 'ERROR|Parametro key troppo lungo');
  });

  test('malformed inputs: always an Error|/ERROR| line, never 5xx', async () => {
    const b = 'XyZb0undary';
    const mp = (body: string, boundary = b): InjectOptions => ({
      method: 'POST',
      url: URL_PATH,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    const formPost = (payload: string | Buffer, contentType: string | undefined = FORM, url = URL_PATH): InjectOptions => ({
      method: 'POST',
      url,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      payload,
    });
    const getUrl = (query: string): InjectOptions => ({ method: 'GET', url: `${URL_PATH}?${query}` });
    const part = (name: string, value: string, extra = '') => `--${b}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;
    const k = encodeURIComponent(key);

    const cases: Array<[string, InjectOptions]> = [
      ['POST without body', { method: 'POST', url: URL_PATH }],
      ['POST empty form', formPost('')],
      ['POST only separators', formPost('&&&==&=')],
      ['POST key only', formPost(`key=${k}`)],
      ['POST empty key', formPost('key=&saldo=')],
      ['POST unknown key', formPost(`key=cp_unknown&cf=${FOUND_CODE}`)],
      ['POST empty cf', formPost(`key=${k}&cf=`)],
      ['POST whitespace cf', formPost(`key=${k}&cf=%20%09%20`)],
      ['POST cf punctuation', formPost(`key=${k}&cf=${encodeURIComponent('<script>')}`)],
      ['POST cf one char', formPost(`key=${k}&cf=A`)],
      ['POST cf 17 chars', formPost(`key=${k}&cf=RSSMRA85T10A562SS`)],
      ['POST cf check char', formPost(`key=${k}&cf=RSSMRA85T10A562X`)],
      ['POST cf date', formPost(`key=${k}&cf=RSSMRA85B30A562G`)],
      ['POST cf check digit', formPost(`key=${k}&cf=00743110158`)],
      ['POST cf NUL and newline', formPost(`key=${k}&cf=%00%0A%0D`)],
      ['POST cf emoji', formPost(`key=${k}&cf=${encodeURIComponent('🙂🙂🙂')}`)],
      ['POST cf zero-width space', formPost(`key=${k}&cf=${encodeURIComponent('RSSMRA85\u200bT10A562S')}`)],
      ['POST cf huge', formPost(`key=${k}&cf=${'7'.repeat(20_000)}`)],
      ['POST key huge', formPost(`key=${'k'.repeat(20_000)}&saldo=`)],
      ['POST key repeated', formPost(`key=${k}&key=${k}&saldo=`)],
      ['POST cf repeated', formPost(`key=${k}&cf=1&cf=2`)],
      ['POST cf and saldo', formPost(`key=${k}&cf=${FOUND_CODE}&saldo=`)],
      ['POST cf in query, saldo in body', formPost(`key=${k}&saldo=`, FORM, `${URL_PATH}?cf=${FOUND_CODE}`)],
      ['POST token only', formPost(`key=${k}&token=abc`)],
      ['POST broken percent escapes', formPost(`key=${k}&cf=%E0%A4%A&%%%=%`)],
      ['POST invalid UTF-8', formPost(Buffer.from([0x6b, 0x65, 0x79, 0x3d, 0xc3, 0x28, 0x26, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]))],
      ['POST binary garbage', formPost(randomBytes(2048), 'application/octet-stream')],
      ['POST garbage without content type', formPost(randomBytes(2048), undefined)],
      ['POST gzip header, plain garbage', { ...formPost(randomBytes(512)), headers: { 'content-type': FORM, 'content-encoding': 'gzip' } }],
      ['POST malformed JSON', formPost('{"key":', 'application/json')],
      ['POST JSON array', formPost('[1,2,3]', 'application/json')],
      ['POST JSON __proto__', formPost(`{"__proto__":{"x":1},"key":"${key}","saldo":""}`, 'application/json')],
      ['POST JSON object values', formPost(`{"key":{"a":1},"cf":[1,2]}`, 'application/json')],
      ['POST invalid content type', formPost(`key=${k}&saldo=`, '%%%/???')],
      ['POST empty content type', formPost(`key=${k}&saldo=`, '')],
      ['POST multipart without boundary', formPost(`key=${k}`, 'multipart/form-data')],
      ['POST multipart wrong boundary', mp(part('key', key) + `--${b}--\r\n`, 'other')],
      ['POST multipart truncated', mp(`--${b}\r\nContent-Disposition: form-data; name="key"\r\n\r\n${key}`)],
      ['POST multipart garbage', mp(randomBytes(1024).toString('latin1'))],
      ['POST multipart malformed part header', mp(`--${b}\r\nthis is not a header\r\n\r\nvalue\r\n--${b}--\r\n`)],
      ['POST multipart __proto__ field', mp(part('__proto__', 'x') + part('key', key) + `--${b}--\r\n`)],
      ['POST multipart file', mp(part('key', key) + part('cf', FOUND_CODE, '; filename="cf.txt"') + `--${b}--\r\n`)],
      ['POST multipart too many fields', mp(Array.from({ length: 40 }, (_, i) => part(`f${i}`, 'x')).join('') + `--${b}--\r\n`)],
      ['POST multipart field too large', mp(part('key', key) + part('cf', 'Z'.repeat(10_000)) + `--${b}--\r\n`)],
      ['POST multipart empty', mp('')],
      ['POST form with 5000 fields', formPost(Array.from({ length: 5000 }, (_, i) => `f${i}=x`).join('&'))],
      ['GET no query', { method: 'GET', url: URL_PATH }],
      ['GET key only', getUrl(`key=${k}`)],
      ['GET unknown token', getUrl(`key=${k}&token=nope`)],
      ['GET huge token', getUrl(`key=${k}&token=${'t'.repeat(5000)}`)],
      ['GET invalid percent escapes', getUrl('key=%FF%FE&token=%')],
      ['GET NUL bytes', getUrl('key=%00&token=%00')],
      ['GET cf', getUrl(`key=${k}&cf=${FOUND_CODE}`)],
      ['GET repeated token', getUrl(`key=${k}&token=a&token=b`)],
      ['GET __proto__', getUrl(`__proto__=x&constructor=y&key=${k}&token=z`)],
      ['PUT', { ...formPost(`key=${k}&saldo=`), method: 'PUT' }],
      ['OPTIONS', { method: 'OPTIONS', url: URL_PATH }],
    ];
    assert.ok(cases.length >= 30);

    for (const [name, options] of cases) {
      const res = await app.inject(options);
      const where = `${name}: ${res.statusCode} ${JSON.stringify(res.body.slice(0, 200))}`;
      assert.ok(res.statusCode < 500, where);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', where);
      assert.match(res.body, /^(Error|ERROR)\|[^\r\n]+$/, where);
      assert.doesNotMatch(res.body, STACK_TRACE, where);
      assert.match(res.body, options.method === 'GET' ? /^ERROR\|/ : /^Error\|/, `${where}: GET answers ERROR|, the rest Error|`);
    }
    // None of it was charged.
    assert.equal(await saldo(app, key), '10000.00');
  });
});

describe('text protocol rate limit [sqlite]', () => {
  let h: Harness;

  before(async () => {
    h = await createHarness('sqlite', { rateLimitPerKey: 20 });
  });
  after(async () => {
    await h.close();
  });

  test('rapid requests beyond the limit get 429 Troppe richieste, on POST and GET, and are not charged', async () => {
    const { key } = await h.account();
    const other = await h.account();
    const results: Line[] = [];
    for (let i = 0; i < 25; i++) results.push(await post(h.app, { key, saldo: '' }));

    assert.deepEqual({ status: results[0].status, line: results[0].line }, { status: 200, line: '10.00' });
    const firstLimited = results.findIndex((r) => r.status === 429);
    assert.ok(firstLimited > 0 && firstLimited <= 20, `throttled from request ${firstLimited + 1}`);
    results.forEach((r, i) => {
      if (i < firstLimited) assert.deepEqual([r.status, r.line], [200, '10.00'], `request ${i + 1}`);
      else {
        assert.deepEqual([r.status, r.line], [429, 'Error|Troppe richieste, riprova più tardi'], `request ${i + 1}`);
        assert.ok(Number(r.headers['retry-after']) > 0, 'retry-after header');
      }
    });
    for (const r of results.slice(20)) assert.equal(r.status, 429, 'the 21st and later requests are throttled');

    const limitedGet = await get(h.app, { key, token: 'abc' });
    assert.deepEqual([limitedGet.status, limitedGet.line], [429, 'ERROR|Troppe richieste, riprova più tardi']);
    const limitedSubmit = await post(h.app, { key, cf: FOUND_CODE }, 'multipart');
    assert.deepEqual([limitedSubmit.status, limitedSubmit.line], [429, 'Error|Troppe richieste, riprova più tardi']);

    // Another key has its own budget.
    assert.equal((await post(h.app, { key: other.key, saldo: '' })).line, '10.00');

    // A minute later (manual clock) the key works again, and the throttled submit was never charged.
    h.clock.advance(60_000);
    const after = await post(h.app, { key, saldo: '' });
    assert.deepEqual([after.status, after.line], [200, '10.00']);
  });
});
