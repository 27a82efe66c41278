/**
 * People, passwords, sessions and the lockout on both dialects, with the manual clock.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { createUser, findUser, listUsers, setPassword, setUserStatus } from '../../src/users/users.ts';
import { decoyHash, hashPassword, scryptParams, verifyPassword, DECOY_HASH } from '../../src/users/password.ts';
import { login } from '../../src/users/login.ts';
import { resumeSession, csrfTokenFor } from '../../src/users/sessions.ts';
import { recordFailure } from '../../src/users/lockout.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { CLI_ACTOR } from '../../src/audit/record-audit.ts';
import { isCercapecError } from '../../src/errors.ts';
import { TEST_SCRYPT } from '../helpers/password-cost.ts';

const MIN = 60_000;
const policy = { session: { idleMs: 30 * MIN, maxMs: 12 * 60 * MIN }, lockout: { failures: 5, windowMs: 15 * MIN }, scrypt: TEST_SCRYPT };
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
    await assert.rejects(createUser(store, clock.now(), { username: 'ANNA.ROSSI', password: PW, role: 'operator' }, undefined, TEST_SCRYPT), (e) => isCercapecError(e, 'invalid_argument'));
    await assert.rejects(createUser(store, clock.now(), { username: 'b', password: PW, role: 'operator' }, undefined, TEST_SCRYPT), /username/);
    await assert.rejects(createUser(store, clock.now(), { username: 'bruno', password: 'corta', role: 'operator' }, undefined, TEST_SCRYPT), /at least 10/);
    await assert.rejects(createUser(store, clock.now(), { username: 'bruno', password: PW, role: 'boss' as 'admin' }, undefined, TEST_SCRYPT), /role/);
    assert.deepEqual((await listUsers(store)).map((u) => [u.username, u.role, u.status]), [['anna.rossi', 'admin', 'active']]);
    const [audit] = await listAudit(store.db, { action: 'user.create' });
    assert.equal(audit.actor, 'cli');
    assert.deepEqual(audit.after, { username: 'anna.rossi', role: 'admin' }, 'no password, no hash');
  });

  test('a session lives while used, dies after the idle time or the absolute cap', async () => {
    await createUser(store, clock.now(), { username: 'otto', password: PW, role: 'operator' }, undefined, TEST_SCRYPT);
    const result = await login(store, { username: 'OTTO', password: PW, now: clock.now() }, policy);
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

    const again = await login(store, { username: 'otto', password: PW, now: clock.now() }, policy);
    assert.ok(again.ok);
    for (let i = 0; i < 25; i++) { // 25 x 29 min > 12 h
      clock.advance(29 * MIN);
      await resumeSession(store.db, again.sessionId, clock.now(), policy.session);
    }
    assert.equal(await resumeSession(store.db, again.sessionId, clock.now(), policy.session), null, 'over 12 hours since login');
    assert.equal(await resumeSession(store.db, 'not-a-session', clock.now(), policy.session), null);
  });

  test('disabling a user or changing the password ends the sessions', async () => {
    await createUser(store, clock.now(), { username: 'otto', password: PW, role: 'operator' }, undefined, TEST_SCRYPT);
    const first = await login(store, { username: 'otto', password: PW, now: clock.now() }, policy);
    assert.ok(first.ok);
    await setPassword(store, clock.now(), 'otto', 'nuova-password-lunga', CLI_ACTOR, TEST_SCRYPT);
    assert.equal(await resumeSession(store.db, first.sessionId, clock.now(), policy.session), null);
    assert.deepEqual(await login(store, { username: 'otto', password: PW, now: clock.now() }, policy), { ok: false, reason: 'invalid' });
    const second = await login(store, { username: 'otto', password: 'nuova-password-lunga', now: clock.now() }, policy);
    assert.ok(second.ok);
    await setUserStatus(store, clock.now(), 'otto', 'disabled', CLI_ACTOR);
    assert.equal(await resumeSession(store.db, second.sessionId, clock.now(), policy.session), null);
    assert.deepEqual(await login(store, { username: 'otto', password: 'nuova-password-lunga', now: clock.now() }, policy), { ok: false, reason: 'invalid' }, 'disabled looks like a wrong password');
    await setUserStatus(store, clock.now(), 'otto', 'active', CLI_ACTOR);
    assert.ok((await login(store, { username: 'otto', password: 'nuova-password-lunga', now: clock.now() }, policy)).ok);
    await assert.rejects(setPassword(store, clock.now(), 'nessuno', PW), (e) => isCercapecError(e, 'user_not_found'));
    assert.deepEqual((await listAudit(store.db, { actor: 'cli' })).map((r) => r.action).sort(), ['user.disable', 'user.enable', 'user.passwd']);
    assert.equal((await findUser(store, 'otto'))?.lastLoginAt, clock.now());
  });

  test('lockout: 5 failures within the window lock for the window; older failures are forgotten', async () => {
    await createUser(store, clock.now(), { username: 'anna', password: PW, role: 'admin' }, undefined, TEST_SCRYPT);
    const attempt = (password: string) => login(store, { username: 'anna', password, now: clock.now() }, policy);
    // 4 failures, then a quarter of an hour of calm: the count starts again.
    for (let i = 0; i < 4; i++) assert.deepEqual(await attempt('no'), { ok: false, reason: 'invalid' });
    clock.advance(15 * MIN);
    for (let i = 0; i < 4; i++) assert.deepEqual(await attempt('no'), { ok: false, reason: 'invalid' });
    const locked = await attempt('no');
    assert.deepEqual(locked, { ok: false, reason: 'locked', lockedUntil: clock.now() + 15 * MIN });
    clock.advance(15 * MIN - 1);
    assert.equal((await attempt(PW)).ok, false, 'locked until the last millisecond');
    clock.advance(1);
    assert.equal((await attempt(PW)).ok, true);
    // A success clears the count.
    for (let i = 0; i < 4; i++) await attempt('no');
    assert.equal((await attempt(PW)).ok, true);
    for (let i = 0; i < 4; i++) assert.deepEqual(await attempt('no'), { ok: false, reason: 'invalid' });
  });

  test('concurrent failures are all counted', async () => {
    const locks = await Promise.all(Array.from({ length: 12 }, () => recordFailure(store.db, 'mallory', clock.now(), policy.lockout)));
    assert.equal(locks.filter((l) => l !== null).length, 8, 'the 5th to the 12th failure each report the lock');
    const row = await store.db.selectFrom('login_failures').selectAll().where('username', '=', 'mallory').executeTakeFirstOrThrow();
    assert.equal(Number(row.failures), 12);
  });
});
