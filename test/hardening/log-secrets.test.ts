import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliOk, delay, IPA_SAMPLE, killAllChildren, lastLine, startServerProcess, wsGet, wsPost, type ServerProcess } from '../helpers/cli.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';

/**
 * The logs of a real `cercapec serve` at level debug, through a realistic session on both
 * protocols (submissions, polls, errors, deletions, throttled key guessing, a batch, webhooks
 * with their secret, an Idempotency-Key), are searched for every secret and every piece of a
 * person's data the session used: API keys (also ones guessed wrong), tokens, the webhook
 * secret, the person's codice fiscale (in any spelling) and PEC. None may appear.
 */

const PERSON = 'RSSMRA85T10A562S';
const PERSON_PEC = 'mario.rossi@pec.ordineavvocati.example.it';
const OTHER_PERSON = 'VRDGPP70A41H501W';
const OTHER_PEC = 'giuseppina.verdi@pec.example.it';
const ENV = {
  CERCAPEC_LOG_LEVEL: 'debug',
  CERCAPEC_RATE_LIMIT_PER_KEY: '0',
  CERCAPEC_RATE_LIMIT_PER_IP: '0',
  CERCAPEC_AUTH_FAILURES_PER_MINUTE: '5',
  CERCAPEC_ALLOW_PRIVATE_CALLBACKS: 'true',
  CERCAPEC_INLINE_ANSWERS: 'false',
};

let server: ServerProcess | undefined;
let receiver: Receiver | undefined;
const tmpDirs: string[] = [];
after(async () => {
  await server?.kill('SIGKILL');
  await receiver?.close();
  await killAllChildren();
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function json(url: string, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

describe('server logs carry no secrets and no personal data', () => {
  test("a debug-level session on both protocols: keys, tokens, webhook secret, persons' codes and PECs never logged", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-logs-'));
    tmpDirs.push(dir);
    const dataDir = join(dir, 'data');
    const keyA = lastLine(
      (await cliOk(['accounts', 'add', '--name', 'studio-a', '--billing', 'prepaid', '--price-cents', '10', '--credit-cents', '10000', '--data', dataDir]))
        .stdout,
    );
    const keyB = lastLine((await cliOk(['accounts', 'add', '--name', 'studio-b', '--billing', 'postpaid', '--price-cents', '10', '--data', dataDir])).stdout);
    const persons = join(dir, 'persone.csv');
    await writeFile(
      persons,
      `codice_fiscale,pec,denominazione,tipo\n${PERSON},${PERSON_PEC},Mario Rossi,persona\n${OTHER_PERSON},${OTHER_PEC},Giuseppina Verdi,persona\n`,
    );
    await cliOk(['import', persons, '--format', 'csv', '--name', 'albo', '--data', dataDir]);
    await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', '--data', dataDir]);
    receiver = await startReceiver();
    server = await startServerProcess({ dataDir, env: ENV });
    const url = server.url;
    const secrets: string[] = [keyA, keyB];

    // --- text protocol ---
    const spelled = 'rss mra 85t10 a562s';
    const submitted = await wsPost(url, { key: keyA, cf: spelled });
    assert.match(submitted, /^OK\|/);
    const token = submitted.slice(3);
    secrets.push(token);
    let answer = '';
    for (let i = 0; i < 100 && !answer.startsWith('OK|'); i++, await delay(50)) answer = await wsGet(url, { key: keyA, token });
    assert.equal(answer, `OK|${PERSON_PEC}|pec trovata`);
    assert.match(await wsPost(url, { key: keyA, cf: 'RSSMRA85T10A562T' }), /^Error\|Codice fiscale non valido/);
    assert.equal(await wsPost(url, { key: keyA, cf: PERSON }), 'Error|Richiesta già presente');
    assert.equal(await wsGet(url, { key: keyB, token }), 'ERROR|Token sconosciuto');
    assert.equal(await wsPost(url, { key: keyA, 'cf-delete': PERSON }), 'OK|richiesta cancellata correttamente');
    assert.match(await wsPost(url, { key: keyA, saldo: '' }), /^\d+\.\d{2}$/);
    assert.equal(await wsPost(url, { key: keyA, token }), "Error|Per conoscere l'esito usare il metodo GET con key e token");
    // --- JSON API ---
    const apiUrl = url;
    const webhook = await json(apiUrl, keyB, 'PUT', '/v1/account/webhook', { url: `${receiver.url}/hook` });
    assert.match(webhook.secret, /^whsec_/, JSON.stringify(webhook));
    secrets.push(webhook.secret);
    const created = await json(
      apiUrl,
      keyB,
      'POST',
      '/v1/lookups',
      { code: OTHER_PERSON.toLowerCase(), callbackUrl: `${receiver.url}/own`, reference: 'pratica 12' },
      { 'idempotency-key': 'idem-123' },
    );
    assert.ok(created.id, JSON.stringify(created));
    {
      secrets.push(created.id);
      await json(apiUrl, keyB, 'GET', `/v1/lookups/${created.id}?wait=5`);
      await json(apiUrl, keyB, 'GET', `/v1/lookups?code=${OTHER_PERSON}`);
      await json(apiUrl, keyB, 'GET', `/v1/lookups/${created.id}/deliveries`);
    }
    await json(apiUrl, keyB, 'POST', '/v1/lookups', { code: 'VRDGPP70A41H501Z' });
    const batch = await json(apiUrl, keyB, 'POST', '/v1/batches', `nome;cf\nMario Rossi;${PERSON}\nErrato;${PERSON.slice(0, 15)}X\nComune;82003050109\n`);
    assert.ok(batch.id, JSON.stringify(batch));
    {
      for (let i = 0; i < 100; i++, await delay(50)) if ((await json(apiUrl, keyB, 'GET', `/v1/batches/${batch.id}`)).status === 'completed') break;
      await json(apiUrl, keyB, 'GET', `/v1/batches/${batch.id}/results?format=json`);
    }
    await json(apiUrl, keyB, 'GET', '/v1/webhooks/deliveries');
    await json(apiUrl, keyB, 'POST', '/v1/account/webhook/rotate-secret').then((r) => typeof r === 'object' && r.secret && secrets.push(r.secret));
    await json(apiUrl, 'cp_wrong_key_for_the_json_api_0000000', 'GET', '/v1/account');
    secrets.push('cp_wrong_key_for_the_json_api_0000000');
    // The lookup's callback at least (delivered by the webhook worker, which logs too).
    await Promise.race([receiver.waitFor(2), delay(5000)]);
    assert.ok(receiver.received.length >= 1, 'webhooks were delivered');
    // --- last, since it throttles this address: key guessing ---
    const guesses = Array.from({ length: 6 }, (_, i) => `cp_${'G'.repeat(31)}${i}`);
    secrets.push(...guesses);
    for (const guess of guesses) await wsPost(url, { key: guess, cf: OTHER_PERSON });
    assert.equal(await wsGet(url, { key: keyA, token: 'x' }), 'ERROR|Troppe richieste, riprova più tardi', 'the guessing address is throttled (and logged)');
    await delay(100);

    assert.equal((await server.stop()).code, 0);

    const log = server.output();
    assert.ok(log.length < 250 * 1024, 'the whole log was kept (the helper keeps the last 256 KB)');
    assert.ok(log.split('\n').filter((l) => l.includes('"msg":"request"')).length > 20, `every request was logged: ${log.slice(0, 3000)}`);
    assert.match(log, /authentication failures from one address/, 'the throttling was logged');
    const found: { what: string; needle: string }[] = [];
    for (const secret of secrets) if (log.includes(secret)) found.push({ what: `secret ${secret.slice(0, 6)}…`, needle: secret });
    for (const value of [PERSON, OTHER_PERSON, PERSON_PEC, OTHER_PEC, 'rss mra 85t10', 'VRDGPP70A41H501Z', 'RSSMRA85T10A562T']) {
      if (log.toLowerCase().includes(value.toLowerCase())) found.push({ what: value, needle: value });
    }
    // Anything shaped like a key or a personal codice fiscale, whoever it belongs to.
    for (const m of log.matchAll(
      /cp_[A-Za-z0-9_-]{20,}|whsec_[A-Za-z0-9_-]{20,}|\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b/gi,
    ))
      found.push({ what: m[0], needle: m[0] });
    const lines = log.split('\n');
    const where = found.map((f) => `${f.what} in: ${lines.find((l) => l.toLowerCase().includes(f.needle.toLowerCase()))?.slice(0, 300)}`);
    assert.deepEqual(where, [], 'nothing secret or personal in the logs');
  });
});
