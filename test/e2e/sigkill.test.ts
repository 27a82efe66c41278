import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LOOKUP_QUEUE } from '../../src/lookups/lookup-status.ts';
import { openStore } from '../../src/store/store.ts';
import { cf11CheckDigit, validateTaxId } from '../../src/taxid/index.ts';
import { formatEuro } from '../../src/resources/money.ts';
import { seededRandom } from '../../src/seeded-random.ts';
import { cliOk, delay, IPA_SAMPLE, ipaSamplePecs, lastLine, processSandbox, type ServerProcess, wsGet, wsPost } from '../helpers/cli.ts';

/**
 * Durability against real processes killed with SIGKILL: an accepted request (one that got
 * `OK|<token>`) is never lost, is answered exactly once after a restart, and is charged exactly
 * once; a submission that never got its `OK|` is either absent and uncharged, or present,
 * charged once and answered like any other.
 */

// Queue path only: the inline directory answers would leave nothing in flight to kill.
const NO_LIMITS = { CERCAPEC_RATE_LIMIT_PER_KEY: '0', CERCAPEC_RATE_LIMIT_PER_IP: '0', CERCAPEC_INLINE_ANSWERS: 'false' };
const ACCOUNT = 'durabilita';
const PRICE = 10;
const CREDIT = 100_000;
const TOTAL_CODES = 300;
const POLL_DEADLINE_MS = 60_000;

const sample = ipaSamplePecs();
const sandbox = processSandbox('sigkill');

async function newDataDir(): Promise<string> {
  return join(await sandbox.tmpDir(), 'data');
}

function start(dataDir: string, env: Record<string, string>): Promise<ServerProcess> {
  return sandbox.start({ dataDir, env: { ...NO_LIMITS, ...env } });
}

/** The account and the IPA sample, set up with the CLI as an operator would. */
async function prepare(dataDir: string): Promise<string> {
  const added = await cliOk([
    'accounts',
    'add',
    '--name',
    ACCOUNT,
    '--billing',
    'prepaid',
    '--price-cents',
    String(PRICE),
    '--credit-cents',
    String(CREDIT),
    '--data',
    dataDir,
  ]);
  const key = lastLine(added.stdout);
  assert.match(key, /^cp_[A-Za-z0-9_-]{32}$/);
  await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', '--data', dataDir]);
  return key;
}

/** Valid 11-digit codes (check digit from cf11CheckDigit) that the sample does not hold; seeded. */
function codesNotInSample(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const out = new Set<string>();
  while (out.size < count) {
    const first10 = String(1 + Math.floor(random() * 9_999_999)).padStart(7, '0') + String(1 + Math.floor(random() * 100)).padStart(3, '0');
    const code = `${first10}${cf11CheckDigit(first10)}`;
    if (sample.has(code)) continue;
    const checked = validateTaxId(code);
    assert.ok(checked.valid && checked.code === code, `generated code ${code} is not valid`);
    out.add(code);
  }
  return [...out];
}

function testCodes(seed: number): string[] {
  const codes = [...sample.keys(), ...codesNotInSample(TOTAL_CODES - sample.size, seed)];
  assert.equal(new Set(codes).size, TOTAL_CODES);
  return codes;
}

function expectedAnswer(code: string): string {
  const pecs = sample.get(code);
  return pecs ? `OK|${pecs[0]}|pec trovata` : 'OK||pec non trovata';
}

/** Runs fn over items with at most `width` calls in flight. */
async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * Polls every token (GET) in rounds until none answers WAIT, or fails at the deadline with
 * the tokens still waiting. Returns the final answer of each code.
 */
async function pollAll(url: string, key: string, tokens: Map<string, string>): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  let waiting = [...tokens.keys()];
  const deadline = Date.now() + POLL_DEADLINE_MS;
  while (waiting.length > 0) {
    const still: string[] = [];
    await inParallel(waiting, 16, async (code) => {
      const line = await wsGet(url, { key, token: tokens.get(code)! });
      if (line.startsWith('WAIT|')) {
        assert.equal(line, `WAIT|${tokens.get(code)}`);
        still.push(code);
      } else {
        answers.set(code, line);
      }
    });
    waiting = still;
    if (waiting.length === 0) break;
    if (Date.now() > deadline)
      assert.fail(
        `${waiting.length} tokens still WAIT after ${POLL_DEADLINE_MS} ms, e.g. ${waiting
          .slice(0, 5)
          .map((c) => tokens.get(c))
          .join(', ')}`,
      );
    await delay(200);
  }
  return answers;
}

function assertAnswers(tokens: Map<string, string>, answers: Map<string, string>): void {
  assert.equal(answers.size, tokens.size);
  const wrong = [...tokens.keys()].filter((code) => answers.get(code) !== expectedAnswer(code));
  assert.deepEqual(
    wrong.map((code) => ({ code, got: answers.get(code) })),
    [],
    'every accepted token answers OK, found or not found as in the sample',
  );
}

interface Expected {
  /** Codes that got OK|<token>, with the token. */
  tokens: Map<string, string>;
  /** Codes whose submission was interrupted but had been committed (seen as duplicates later). */
  committedWithoutToken: Set<string>;
}

/** The store after the run: one charge per request, every request answered once, no jobs left. */
async function checkStore(dataDir: string, expected: Expected): Promise<void> {
  const store = await openStore({ dataDir });
  try {
    const { db } = store;
    const account = await db.selectFrom('accounts').selectAll().where('name', '=', ACCOUNT).executeTakeFirstOrThrow();
    const requests = await db.selectFrom('requests').selectAll().where('account_id', '=', account.id).execute();
    const allRequests = await db.selectFrom('requests').select('id').execute();
    assert.equal(allRequests.length, requests.length, 'no request of another account');

    // Exactly the requests the client knows of: those with a token, and those committed
    // before the kill whose OK| never arrived. Nothing else.
    const byCode = new Map(requests.map((r) => [r.code, r]));
    assert.equal(byCode.size, requests.length, 'one request per code');
    assert.deepEqual(new Set(requests.map((r) => r.code)), new Set([...expected.tokens.keys(), ...expected.committedWithoutToken]));
    for (const [code, token] of expected.tokens) assert.equal(byCode.get(code)?.id, token, `the request of ${code} is the token it was given`);

    for (const r of requests) {
      const pecs = sample.get(r.code);
      assert.equal(r.status, pecs ? 'found' : 'not_found', `status of ${r.code}`);
      assert.notEqual(r.answered_at, null, `answered_at of ${r.code}`);
      assert.equal(r.deleted_at, null);
      assert.equal(r.pec, pecs ? pecs[0] : null, `pec of ${r.code}`);
      assert.equal(Number(r.charged_cents), PRICE);
    }

    // The ledger: the opening top-up, and exactly one charge per request; no refunds.
    const ledger = await db.selectFrom('ledger').selectAll().where('account_id', '=', account.id).execute();
    const charges = ledger.filter((l) => l.kind === 'charge');
    assert.equal(charges.length, requests.length, 'one charge per accepted request, none for a submission that was never stored');
    assert.deepEqual(new Set(charges.map((c) => c.request_id)), new Set(requests.map((r) => r.id)));
    assert.ok(charges.every((c) => Number(c.amount_cents) === -PRICE));
    assert.equal(ledger.filter((l) => l.kind === 'refund').length, 0, 'no refund for answered requests');
    assert.deepEqual(
      ledger.filter((l) => l.kind !== 'charge').map((l) => [l.kind, Number(l.amount_cents)]),
      [['topup', CREDIT]],
    );
    const balance = ledger.reduce((sum, l) => sum + Number(l.amount_cents), 0);
    assert.equal(balance, CREDIT - PRICE * requests.length);
    const orphanCharges = await db.selectFrom('ledger').select('id').where('kind', '=', 'charge').where('account_id', '!=', account.id).execute();
    assert.equal(orphanCharges.length, 0);

    // No job left: every one was completed with its answer.
    const jobs = await db.selectFrom('jobs').selectAll().execute();
    assert.deepEqual(
      jobs.map((j) => ({ id: j.id, status: j.status, payload: j.payload })),
      [],
      'the jobs table is empty',
    );

    // Addresses only for found requests, as many as the sample has for the code, in order.
    const addresses = await db.selectFrom('request_addresses').selectAll().orderBy('request_id').orderBy('position').execute();
    const addressesOf = new Map<string, string[]>();
    for (const a of addresses) addressesOf.set(a.request_id, [...(addressesOf.get(a.request_id) ?? []), a.pec]);
    const requestIds = new Set(requests.map((r) => r.id));
    assert.ok(
      addresses.every((a) => requestIds.has(a.request_id)),
      'no address of an unknown request',
    );
    for (const r of requests) {
      assert.deepEqual(addressesOf.get(r.id) ?? [], sample.get(r.code) ?? [], `addresses of ${r.code}`);
    }
    const expectedAddressRows = requests.reduce((n, r) => n + (sample.get(r.code)?.length ?? 0), 0);
    assert.equal(addresses.length, expectedAddressRows);

    // Answered exactly once: one decisive attempt (found / not found) per request.
    const attempts = await db.selectFrom('attempts').select(['request_id', 'outcome']).where('outcome', 'in', ['found', 'not_found']).execute();
    const decisive = new Map<string, number>();
    for (const a of attempts) decisive.set(a.request_id, (decisive.get(a.request_id) ?? 0) + 1);
    const notOnce = requests.filter((r) => decisive.get(r.id) !== 1).map((r) => ({ code: r.code, decisive: decisive.get(r.id) ?? 0 }));
    assert.deepEqual(notOnce, [], 'each request answered by exactly one committed attempt');
  } finally {
    await store.close();
  }
}

/** What the store holds between the kill and the restart (it is opened by this process only). */
async function snapshot(dataDir: string) {
  const store = await openStore({ dataDir });
  try {
    const requests = await store.db.selectFrom('requests').select(['id', 'code', 'status']).execute();
    // Lookup jobs only: the dataset import queued a watch re-check too.
    const jobs = await store.db.selectFrom('jobs').select(['status']).where('queue', '=', LOOKUP_QUEUE).execute();
    const charges = await store.db.selectFrom('ledger').select('request_id').where('kind', '=', 'charge').execute();
    return { requests, jobs, charges };
  } finally {
    await store.close();
  }
}

describe('SIGKILL durability (real server processes)', () => {
  test('(a) requests accepted by an API-only process survive its SIGKILL and are all answered after restart', { timeout: 120_000 }, async (t) => {
    const dataDir = await newDataDir();
    const key = await prepare(dataDir);
    const codes = testCodes(20261128);

    const api = await start(dataDir, { CERCAPEC_ROLE: 'api' });
    const tokens = new Map<string, string>();
    await inParallel(codes, 16, async (code) => {
      const line = await wsPost(api.url, { key, cf: code });
      assert.match(line, /^OK\|[A-Za-z0-9_-]+$/, `submission of ${code}`);
      tokens.set(code, line.slice(3));
    });
    assert.equal(tokens.size, TOTAL_CODES);
    assert.equal(new Set(tokens.values()).size, TOTAL_CODES, 'tokens are unique');
    // Role api accepts but does not process.
    for (const code of codes.slice(0, 5)) assert.equal(await wsGet(api.url, { key, token: tokens.get(code)! }), `WAIT|${tokens.get(code)}`);
    assert.equal(await wsPost(api.url, { key, saldo: '' }), formatEuro(CREDIT - PRICE * TOTAL_CODES));

    const killed = await api.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');

    // Every OK| was durable: stored, charged and queued before the answer went out.
    const before = await snapshot(dataDir);
    assert.equal(before.requests.length, TOTAL_CODES);
    assert.ok(before.requests.every((r) => r.status === 'queued'));
    assert.equal(before.jobs.length, TOTAL_CODES);
    assert.equal(before.charges.length, TOTAL_CODES);

    const all = await start(dataDir, { CERCAPEC_ROLE: 'all', CERCAPEC_LEASE_MS: '1000' });
    const answers = await pollAll(all.url, key, tokens);
    assertAnswers(tokens, answers);
    // Answers are final: asking again gives the same line.
    for (const code of codes.slice(0, 60)) assert.equal(await wsGet(all.url, { key, token: tokens.get(code)! }), answers.get(code));
    assert.equal(await wsPost(all.url, { key, saldo: '' }), formatEuro(CREDIT - PRICE * TOTAL_CODES));
    const stopped = await all.stop();
    assert.equal(stopped.code, 0, `graceful stop; output:\n${all.output()}`);

    t.diagnostic(
      `found ${[...answers.values()].filter((a) => a.endsWith('pec trovata')).length}, not found ${[...answers.values()].filter((a) => a.endsWith('non trovata')).length}`,
    );
    await checkStore(dataDir, { tokens, committedWithoutToken: new Set() });
  });

  test('(b) a server killed while submitting and processing loses nothing and answers each accepted token once', { timeout: 120_000 }, async (t) => {
    const dataDir = await newDataDir();
    const key = await prepare(dataDir);
    const codes = testCodes(4242);
    const KILL_AFTER = 150;
    const env = { CERCAPEC_ROLE: 'all', CERCAPEC_WORKER_CONCURRENCY: '2', CERCAPEC_LEASE_MS: '1000' };

    const first = await start(dataDir, env);
    const tokens = new Map<string, string>();
    const interrupted: string[] = [];
    let killing: Promise<unknown> | null = null;
    await inParallel(codes, 16, async (code) => {
      if (killing) return; // after the kill nothing more is sent
      let line: string;
      try {
        line = await wsPost(first.url, { key, cf: code });
      } catch {
        interrupted.push(code); // the connection died with the process: no answer
        return;
      }
      assert.match(line, /^OK\|[A-Za-z0-9_-]+$/, `submission of ${code}`);
      tokens.set(code, line.slice(3));
      if (tokens.size >= KILL_AFTER && !killing) killing = first.kill('SIGKILL');
    });
    assert.ok(killing, 'the server was killed during the submissions');
    const killed = (await killing) as { signal: string | null };
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(tokens.size >= KILL_AFTER);

    // Every OK| was durable; some submissions may have been stored without their OK| arriving.
    const before = await snapshot(dataDir);
    const stored = new Map(before.requests.map((r) => [r.code, r]));
    for (const [code, token] of tokens) assert.equal(stored.get(code)?.id, token, `accepted ${code} is stored`);
    const unsent = new Set(codes.filter((c) => !tokens.has(c) && !interrupted.includes(c)));
    assert.ok(
      [...stored.keys()].every((c) => !unsent.has(c)),
      'nothing stored that was never sent',
    );
    assert.equal(before.charges.length, before.requests.length, 'charges == requests at the moment of the kill');
    t.diagnostic(
      `at the kill: ${tokens.size} OK, ${interrupted.length} interrupted, ${unsent.size} unsent; stored ${before.requests.length}, ` +
        `answered ${before.requests.filter((r) => r.status === 'found' || r.status === 'not_found').length}, ` +
        `jobs queued ${before.jobs.filter((j) => j.status === 'queued').length}, running ${before.jobs.filter((j) => j.status === 'running').length}`,
    );

    const second = await start(dataDir, env);
    // A client retries the interrupted submissions: either accepted now, or already present
    // (committed before the kill, its OK| lost): never charged twice.
    const committedWithoutToken = new Set<string>();
    for (const code of interrupted) {
      const line = await wsPost(second.url, { key, cf: code });
      if (line === 'Error|Richiesta già presente') {
        assert.ok(stored.has(code), `${code} reported present but was not stored before the restart`);
        committedWithoutToken.add(code);
      } else {
        assert.match(line, /^OK\|[A-Za-z0-9_-]+$/, `resubmission of ${code}`);
        assert.ok(!stored.has(code), `${code} was stored before the restart, yet accepted again`);
        tokens.set(code, line.slice(3));
      }
    }

    const answers = await pollAll(second.url, key, tokens);
    assertAnswers(tokens, answers);
    for (const code of tokens.keys()) assert.equal(await wsGet(second.url, { key, token: tokens.get(code)! }), answers.get(code), `second poll of ${code}`);
    const accepted = tokens.size + committedWithoutToken.size;
    assert.equal(await wsPost(second.url, { key, saldo: '' }), formatEuro(CREDIT - PRICE * accepted));
    const stopped = await second.stop();
    assert.equal(stopped.code, 0, `graceful stop; output:\n${second.output()}`);

    await checkStore(dataDir, { tokens, committedWithoutToken });
  });
});
