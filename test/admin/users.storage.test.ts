/**
 * People, passwords, sessions and the login throttle on both dialects, with the manual clock.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { createUser, findUser, listUsers, setPassword, setUserStatus } from '../../src/users/users.ts';
import { decoyHash, hashPassword, scryptParams, verifyPassword, DECOY_HASH } from '../../src/users/password.ts';
import { login } from '../../src/users/login.ts';
import { resumeSession, csrfTokenFor } from '../../src/users/sessions.ts';
import { recordFailure } from '../../src/users/login-throttle.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { CLI_ACTOR } from '../../src/audit/record-audit.ts';
import { isCercapecError } from '../../src/errors.ts';
import { TEST_SCRYPT } from '../helpers/password-cost.ts';

const MIN = 60_000;
const policy = { session: { idleMs: 30 * MIN, maxMs: 12 * 60 * MIN }, throttle: { failures: 5, windowMs: 15 * MIN }, scrypt: TEST_SCRYPT };
const HOME = '198.51.100.10';
const PW = 'cavallo-batteria-graffetta';

test('scrypt hashes carry their parameters, verify in constant time, and never match garbage', async () => {
  const hash = await hashPassword(PW);
  assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(await hashPassword(PW), hash, 'salted');
  assert.equal(await verifyPassword(PW, hash), true);
  assert.equal(await verifyPassword(`${PW} `, hash), false);
  assert.equal(await verifyPassword(PW, DECOY_HASH), false);
  for (const bad of ['', 'plain', 'scrypt$1$2$3$x$y', 'scrypt$99999999$8$1$aaaa$bbbb', 'bcrypt$...']) assert.equal(await verifyPassword(PW, bad), false, bad);
  // Cheaper parameters (tests, old hashes) still verify: they travel with the hash.
  assert.equal(await verifyPassword('x'.repeat(12), await hashPassword('x'.repeat(12), { N: 1024, r: 8, p: 1 })), true);
});

test('the cost is a power of two; the decoy of unknown names is hashed at the configured one and never verifies', async () => {
  assert.deepEqual(scryptParams(15), { N: 32768, r: 8, p: 1 });
  assert.equal(DECOY_HASH.split('$')[1], '32768');
  const decoy = decoyHash(scryptParams(11));
  assert.match(decoy, /^scrypt\$2048\$8\$1\$/);
  assert.deepEqual(decoy.split('$').slice(4), DECOY_HASH.split('$').slice(4));
  for (const pw of [PW, '', 'password']) assert.equal(await verifyPassword(pw, decoy), false);
});

await eachDialect(describe, 'users and sessions', (dialect) => {
  let store: TestStore;
  let clock: ManualClock;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    clock = new ManualClock(Date.UTC(2026, 10, 28, 9));
  });
  afterEach(() => store.destroy());

  test('create, list, refuse duplicates and weak input; audit from the CLI', async () => {
    const user = await createUser(store, clock.now(), { username: ' Anna.Rossi ', password: PW, role: 'admin' }, CLI_ACTOR, TEST_SCRYPT);
    assert.equal(user.username, 'anna.rossi');
    const { password_hash } = await store.db.selectFrom('users').select('password_hash').executeTakeFirstOrThrow();
    assert.match(password_hash, /^scrypt\$1024\$8\$1\$/, 'hashed at the cost it was given');
    await assert.rejects(createUser(store, clock.now(), { username: 'ANNA.ROSSI', password: PW, role: 'operator' }, undefined, TEST_SCRYPT), (e) =>
      isCercapecError(e, 'invalid_argument'),
    );
    await assert.rejects(createUser(store, clock.now(), { username: 'b', password: PW, role: 'operator' }, undefined, TEST_SCRYPT), /username/);
    await assert.rejects(createUser(store, clock.now(), { username: 'bruno', password: 'corta', role: 'operator' }, undefined, TEST_SCRYPT), /at least 10/);
    await assert.rejects(createUser(store, clock.now(), { username: 'bruno', password: PW, role: 'boss' as 'admin' }, undefined, TEST_SCRYPT), /role/);
    assert.deepEqual(
      (await listUsers(store)).map((u) => [u.username, u.role, u.status]),
      [['anna.rossi', 'admin', 'active']],
    );
    const [audit] = await listAudit(store.db, { action: 'user.create' });
    assert.equal(audit.actor, 'cli');
    assert.deepEqual(audit.after, { username: 'anna.rossi', role: 'admin' }, 'no password, no hash');
  });

  test('a session lives while used, dies after the idle time or the absolute cap', async () => {
    await createUser(store, clock.now(), { username: 'otto', password: PW, role: 'operator' }, undefined, TEST_SCRYPT);
    const result = await login(store, { username: 'OTTO', password: PW, address: HOME, now: clock.now() }, policy);
    assert.ok(result.ok);
    const sid = result.sessionId;
    assert.equal(csrfTokenFor(sid).length, 43);
    assert.notEqual(csrfTokenFor(sid), csrfTokenFor(`${sid}x`));
    for (let i = 0; i < 10; i++) {
      clock.advance(29 * MIN);
      assert.equal((await resumeSession(store.db, sid, clock.now(), policy.session))?.username, 'otto', `view ${i}`);
    }
    clock.advance(30 * MIN);
    assert.equal(await resumeSession(store.db, sid, clock.now(), policy.session), null, 'idle 30 minutes');

    const again = await login(store, { username: 'otto', password: PW, address: HOME, now: clock.now() }, policy);
    assert.ok(again.ok);
    for (let i = 0; i < 25; i++) {
      // 25 x 29 min > 12 h
      clock.advance(29 * MIN);
      await resumeSession(store.db, again.sessionId, clock.now(), policy.session);
    }
    assert.equal(await resumeSession(store.db, again.sessionId, clock.now(), policy.session), null, 'over 12 hours since login');
    assert.equal(await resumeSession(store.db, 'not-a-session', clock.now(), policy.session), null);
  });

  test('disabling a user or changing the password ends the sessions', async () => {
    await createUser(store, clock.now(), { username: 'otto', password: PW, role: 'operator' }, undefined, TEST_SCRYPT);
    const first = await login(store, { username: 'otto', password: PW, address: HOME, now: clock.now() }, policy);
    assert.ok(first.ok);
    await setPassword(store, clock.now(), 'otto', 'nuova-password-lunga', CLI_ACTOR, TEST_SCRYPT);
    assert.equal(await resumeSession(store.db, first.sessionId, clock.now(), policy.session), null);
    assert.deepEqual(await login(store, { username: 'otto', password: PW, address: HOME, now: clock.now() }, policy), { ok: false, reason: 'invalid' });
    const second = await login(store, { username: 'otto', password: 'nuova-password-lunga', address: HOME, now: clock.now() }, policy);
    assert.ok(second.ok);
    await setUserStatus(store, clock.now(), 'otto', 'disabled', CLI_ACTOR);
    assert.equal(await resumeSession(store.db, second.sessionId, clock.now(), policy.session), null);
    assert.deepEqual(
      await login(store, { username: 'otto', password: 'nuova-password-lunga', address: HOME, now: clock.now() }, policy),
      { ok: false, reason: 'invalid' },
      'disabled looks like a wrong password',
    );
    await setUserStatus(store, clock.now(), 'otto', 'active', CLI_ACTOR);
    assert.ok((await login(store, { username: 'otto', password: 'nuova-password-lunga', address: HOME, now: clock.now() }, policy)).ok);
    await assert.rejects(setPassword(store, clock.now(), 'nessuno', PW), (e) => isCercapecError(e, 'user_not_found'));
    assert.deepEqual((await listAudit(store.db, { actor: 'cli' })).map((r) => r.action).sort(), ['user.disable', 'user.enable', 'user.passwd']);
    assert.equal((await findUser(store, 'otto'))?.lastLoginAt, clock.now());
  });

  test('throttle: after 5 failures from one address, that address waits 30 s, then doubling; the right password from another address works', async () => {
    await createUser(store, clock.now(), { username: 'anna', password: PW, role: 'admin' }, undefined, TEST_SCRYPT);
    const from = (address: string, password: string, username = 'anna') => login(store, { username, password, address, now: clock.now() }, policy);
    const ATTACKER = '203.0.113.66';
    for (let i = 0; i < 4; i++) assert.deepEqual(await from(ATTACKER, 'no'), { ok: false, reason: 'invalid' });
    assert.deepEqual(await from(ATTACKER, 'no'), { ok: false, reason: 'throttled', retryAt: clock.now() + 30_000 });
    // The attacker's address waits, whatever the password; the owner, elsewhere, logs in.
    assert.deepEqual(await from(ATTACKER, PW), { ok: false, reason: 'throttled', retryAt: clock.now() + 30_000 });
    assert.equal((await from(HOME, PW)).ok, true, 'the right password from another address works');
    // The attacker goes on: each failure doubles the wait, up to the window (15 minutes).
    clock.advance(30_000);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const wait = (await retryAtOf(from(ATTACKER, 'no'))) - clock.now();
      waits.push(wait / 1000);
      clock.advance(wait);
    }
    assert.deepEqual(waits, [60, 120, 240, 480, 900, 900, 900]);
    assert.equal((await from(HOME, PW)).ok, true, 'still');
    // Once the wait is over the attacker's address may try again (and a success would clear it).
    assert.equal((await from(ATTACKER, PW)).ok, true);
    assert.deepEqual(await from(ATTACKER, 'no'), { ok: false, reason: 'invalid' }, 'the success cleared the count');
  });

  test('throttle: counts are forgotten an hour (4 x 15 minutes) after the last failure, not the first', async () => {
    await createUser(store, clock.now(), { username: 'anna', password: PW, role: 'admin' }, undefined, TEST_SCRYPT);
    const attempt = (password: string) => login(store, { username: 'anna', password, address: HOME, now: clock.now() }, policy);
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await attempt('no'), { ok: false, reason: 'invalid' });
      clock.advance(50 * MIN);
    }
    assert.equal((await attempt('no')).ok, false);
    assert.equal(((await attempt('no')) as { reason: string }).reason, 'throttled', 'five failures 50 minutes apart still count');
    clock.advance(60 * MIN);
    for (let i = 0; i < 4; i++) assert.deepEqual(await attempt('no'), { ok: false, reason: 'invalid' }, 'forgotten after a quiet window');
    assert.equal((await attempt(PW)).ok, true);
  });

  test('throttle: one address trying many usernames waits after 20 failures; other addresses do not', async () => {
    await createUser(store, clock.now(), { username: 'anna', password: PW, role: 'admin' }, undefined, TEST_SCRYPT);
    const SPRAYER = '203.0.113.99';
    for (let i = 0; i < 19; i++)
      assert.deepEqual(await login(store, { username: `nome${i}`, password: 'x', address: SPRAYER, now: clock.now() }, policy), {
        ok: false,
        reason: 'invalid',
      });
    assert.equal(
      ((await login(store, { username: 'nome19', password: 'x', address: SPRAYER, now: clock.now() }, policy)) as { reason: string }).reason,
      'throttled',
    );
    assert.equal(
      ((await login(store, { username: 'anna', password: PW, address: SPRAYER, now: clock.now() }, policy)) as { reason: string }).reason,
      'throttled',
    );
    assert.equal((await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, policy)).ok, true);
  });

  test('throttle: a name guessed from many addresses slows each of them after one failure, never a fresh address', async () => {
    await createUser(store, clock.now(), { username: 'anna', password: PW, role: 'admin' }, undefined, TEST_SCRYPT);
    const bot = (n: number) => `203.0.${Math.floor(n / 250)}.${n % 250}`;
    // 50 failures (10 x 5) from 50 addresses: the global brake for anna is on.
    for (let n = 0; n < 50; n++) await login(store, { username: 'anna', password: 'x', address: bot(n), now: clock.now() }, policy);
    assert.equal(
      ((await login(store, { username: 'anna', password: 'x', address: bot(3), now: clock.now() }, policy)) as { reason: string }).reason,
      'throttled',
      'an address that failed once waits',
    );
    assert.equal(
      ((await login(store, { username: 'anna', password: PW, address: bot(4), now: clock.now() }, policy)) as { reason: string }).reason,
      'throttled',
    );
    // The owner, from an address with no failure for anna, is not slowed.
    assert.equal((await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, policy)).ok, true);
    const audit = await listAudit(store.db, { action: 'auth.throttle' });
    assert.ok(
      audit.some((r) => (r.after as { counters: string[] }).counters.includes('username')),
      'the brake is in the audit log',
    );
  });

  test('concurrent failures are all counted, on every counter', async () => {
    await Promise.all(Array.from({ length: 12 }, () => recordFailure(store.db, { username: 'mallory', address: '203.0.113.5' }, clock.now(), policy.throttle)));
    const rows = await store.db.selectFrom('login_failures').selectAll().execute();
    assert.deepEqual(rows.map((r) => [r.username, r.address, Number(r.failures)]).sort(), [
      ['', '203.0.113.5', 12],
      ['mallory', '', 12],
      ['mallory', '203.0.113.5', 12],
    ]);
  });
});

async function retryAtOf(result: ReturnType<typeof login>): Promise<number> {
  const r = await result;
  assert.ok(!r.ok && r.reason === 'throttled', JSON.stringify(r));
  return r.retryAt;
}
