/**
 * The TOTP second factor in the users module (issue 17 item 12), on both dialects with the
 * manual clock: enrolment, recovery codes kept as hashes only, the login's second step
 * (challenge, throttle, replay, recovery codes used once), turning it off and an admin's reset.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generate } from 'otplib';
import { ManualClock } from '../../src/clock.ts';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { createUser, setPassword, type User } from '../../src/users/users.ts';
import { login } from '../../src/users/login.ts';
import { completeLogin } from '../../src/users/login-second-step.ts';
import { CHALLENGE_FAILURES, CHALLENGE_MS } from '../../src/users/login-challenge.ts';
import { checkTotp } from '../../src/users/totp.ts';
import { confirmTotp, disableTotp, resetTotp, startTotp } from '../../src/users/totp-enrolment.ts';
import { totpState } from '../../src/users/second-factor.ts';
import { normalizeRecoveryCode, RECOVERY_CODE_COUNT } from '../../src/users/recovery-codes.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { CLI_ACTOR } from '../../src/audit/record-audit.ts';
import { TEST_SCRYPT } from '../helpers/password-cost.ts';

const MIN = 60_000;
const policy = { session: { idleMs: 30 * MIN, maxMs: 12 * 60 * MIN }, throttle: { failures: 5, windowMs: 15 * MIN }, scrypt: TEST_SCRYPT };
const HOME = '198.51.100.10';
const PW = 'cavallo-batteria-graffetta';
const ANNA = { actor: 'user:anna' };

/** The code an authenticator app shows at `ms`. */
function codeAt(secret: string, ms: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(ms / 1000) });
}

test('a code is right within one 30-second step either side, never twice, and never throws on odd input', async () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const code = await codeAt(secret, t0);
  const step = await checkTotp(secret, code, t0, null);
  assert.equal(step, t0 / 30_000);
  assert.equal(await checkTotp(secret, code, t0 + 30_000, null), step, 'one step late: a slow typist');
  assert.equal(await checkTotp(secret, code, t0 - 30_000, null), step, 'one step early: a phone ahead');
  assert.equal(await checkTotp(secret, code, t0 + 60_000, null), null, 'two steps late');
  assert.equal(await checkTotp(secret, code, t0, step), null, 'the step already used');
  assert.equal(await checkTotp(secret, await codeAt(secret, t0 + 30_000), t0 + 30_000, step), step! + 1, 'the next step');
  for (const odd of ['', '12345', '1234567', 'abcdef', ' 12345']) assert.equal(await checkTotp(secret, odd, t0, null), null, JSON.stringify(odd));
  assert.equal(await checkTotp(secret, code, t0 - 10 * MIN, step), null, 'a clock moved back: nothing matches, nothing throws');
});

await eachDialect(describe, 'TOTP second factor', (dialect) => {
  let store: TestStore;
  let clock: ManualClock;
  let anna: User;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    clock = new ManualClock(Date.UTC(2026, 10, 28, 9, 0, 10));
    anna = await createUser(store, clock.now(), { username: 'anna', password: PW, role: 'admin' }, undefined, TEST_SCRYPT);
  });
  afterEach(() => store.destroy());

  /** Turns anna's second factor on; returns the secret and the recovery codes, and moves past the step used. */
  async function enrol(): Promise<{ secret: string; codes: string[] }> {
    const secret = await startTotp(store, anna, clock.now());
    const codes = await confirmTotp(store, anna, await codeAt(secret, clock.now()), clock.now(), ANNA);
    assert.ok(codes);
    clock.advance(30_000);
    return { secret, codes };
  }

  async function password(address = HOME) {
    const result = await login(store, { username: 'anna', password: PW, address, now: clock.now() }, policy);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === 'second-factor', JSON.stringify(result));
    return result.challenge;
  }

  const sessions = async () =>
    Number(
      (
        await store.db
          .selectFrom('admin_sessions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('a user without a second factor logs in with the password alone, as before', async () => {
    const result = await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, policy);
    assert.ok(result.ok);
    assert.deepEqual(await totpState(store.db, anna.id), { enabledAt: null, pendingSecret: null, recoveryLeft: 0 });
  });

  test('enrolment: a secret kept aside, a wrong code changes nothing, the right one turns it on with ten recovery codes stored as hashes only', async () => {
    const secret = await startTotp(store, anna, clock.now());
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.deepEqual(await totpState(store.db, anna.id), { enabledAt: null, pendingSecret: secret, recoveryLeft: 0 });
    assert.ok((await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, policy)).ok, 'not asked before it is confirmed');
    const other = String((Number(await codeAt(secret, clock.now())) + 1) % 1_000_000).padStart(6, '0');
    assert.equal(await confirmTotp(store, anna, other, clock.now(), ANNA), null);
    assert.equal((await totpState(store.db, anna.id)).enabledAt, null);

    const codes = await confirmTotp(store, anna, await codeAt(secret, clock.now()), clock.now(), ANNA);
    assert.ok(codes);
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    assert.equal(new Set(codes).size, RECOVERY_CODE_COUNT);
    for (const c of codes) assert.match(c, /^[2-9a-z]{4}(-[2-9a-z]{4}){3}$/);
    assert.deepEqual(await totpState(store.db, anna.id), { enabledAt: clock.now(), pendingSecret: null, recoveryLeft: RECOVERY_CODE_COUNT });
    await assert.rejects(startTotp(store, anna, clock.now()), /already on/, 'a second enrolment does not replace a secret in use');

    const stored = await store.db.selectFrom('totp_recovery_codes').selectAll().execute();
    const hashes = codes.map((c) =>
      createHash('sha256')
        .update(`${anna.id}\n${normalizeRecoveryCode(c)}`)
        .digest('hex'),
    );
    assert.deepEqual(stored.map((r) => r.code_hash).sort(), hashes.sort());
    const dump = JSON.stringify([stored, await store.db.selectFrom('audit_log').selectAll().execute()]);
    for (const c of codes) assert.ok(!dump.includes(c) && !dump.includes(normalizeRecoveryCode(c)), 'no recovery code in clear');
    assert.ok(!dump.includes(secret), 'no secret in the audit log');
    const [audit] = await listAudit(store.db, { action: 'user.totp' });
    assert.deepEqual([audit.actor, audit.target, audit.before, audit.after], ['user:anna', anna.id, { enabled: false }, { enabled: true }]);
  });

  test('the password opens no session; the code does, once: a replayed code is refused, the next step is not', async () => {
    const { secret } = await enrol();
    const challenge = await password();
    assert.equal(await sessions(), 0, 'the password alone opens nothing');
    const code = await codeAt(secret, clock.now());
    const done = await completeLogin(store, { challenge, code, address: HOME, now: clock.now() }, policy);
    assert.ok(done.ok);
    assert.equal(done.user.username, 'anna');
    assert.equal(await sessions(), 1);
    const [audit] = await listAudit(store.db, { action: 'auth.login' });
    assert.deepEqual(audit.after, { second_factor: 'totp' });
    assert.deepEqual(
      await completeLogin(store, { challenge, code, address: HOME, now: clock.now() }, policy),
      { ok: false, reason: 'expired' },
      'a challenge opens once',
    );

    // The same code, at once or within its window, from another login: refused (a replay).
    const again = await password();
    assert.deepEqual(await completeLogin(store, { challenge: again, code, address: HOME, now: clock.now() }, policy), { ok: false, reason: 'invalid' });
    clock.advance(20_000);
    assert.deepEqual(await completeLogin(store, { challenge: again, code, address: HOME, now: clock.now() }, policy), { ok: false, reason: 'invalid' });
    clock.advance(10_000);
    const next = await codeAt(secret, clock.now());
    assert.ok((await completeLogin(store, { challenge: again, code: next, address: HOME, now: clock.now() }, policy)).ok);
  });

  test('a recovery code logs in once, with or without its dashes, and is gone afterwards', async () => {
    const { codes } = await enrol();
    const typed = codes[3].replaceAll('-', ' ').toUpperCase();
    const first = await completeLogin(store, { challenge: await password(), code: typed, address: HOME, now: clock.now() }, policy);
    assert.ok(first.ok);
    const [audit] = await listAudit(store.db, { action: 'auth.login' });
    assert.deepEqual(audit.after, { second_factor: 'recovery' });
    assert.equal((await totpState(store.db, anna.id)).recoveryLeft, RECOVERY_CODE_COUNT - 1);
    const second = await completeLogin(store, { challenge: await password(), code: codes[3], address: HOME, now: clock.now() }, policy);
    assert.deepEqual(second, { ok: false, reason: 'invalid' });
  });

  test('wrong codes count on the login throttle: the right code is refused while the address waits, other addresses are not slowed', async () => {
    const { secret } = await enrol();
    const strict = { ...policy, throttle: { failures: 2, windowMs: 15 * MIN } };
    const challenge = await password();
    assert.deepEqual(await completeLogin(store, { challenge, code: '000000', address: HOME, now: clock.now() }, strict), { ok: false, reason: 'invalid' });
    const throttled = await completeLogin(store, { challenge, code: '000001', address: HOME, now: clock.now() }, strict);
    assert.deepEqual(throttled, { ok: false, reason: 'throttled', retryAt: clock.now() + 30_000 });
    const right = await codeAt(secret, clock.now());
    assert.equal((await completeLogin(store, { challenge, code: right, address: HOME, now: clock.now() }, strict)).ok, false, 'not even looked at');
    assert.equal(await sessions(), 0);
    // The right password does not clear the counters: it would let a guesser start over.
    const byPassword = await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, strict);
    assert.equal(!byPassword.ok && byPassword.reason, 'throttled');
    const elsewhere = await completeLogin(store, { challenge: await password('203.0.113.9'), code: right, address: '203.0.113.9', now: clock.now() }, strict);
    assert.ok(elsewhere.ok, 'the owner at another address is not locked out');
    const [audit] = await listAudit(store.db, { action: 'auth.throttle' });
    assert.equal(audit.target, anna.id);
  });

  test('a challenge ends after five minutes, or after its wrong codes; then the password is asked again', async () => {
    const { secret } = await enrol();
    const late = await password();
    clock.advance(CHALLENGE_MS);
    assert.deepEqual(await completeLogin(store, { challenge: late, code: await codeAt(secret, clock.now()), address: HOME, now: clock.now() }, policy), {
      ok: false,
      reason: 'expired',
    });
    const loose = { ...policy, throttle: { failures: 0, windowMs: 15 * MIN } };
    const challenge = await password();
    for (let i = 1; i < CHALLENGE_FAILURES; i++)
      assert.deepEqual(await completeLogin(store, { challenge, code: '000000', address: HOME, now: clock.now() }, loose), { ok: false, reason: 'invalid' });
    assert.deepEqual(await completeLogin(store, { challenge, code: '000000', address: HOME, now: clock.now() }, loose), { ok: false, reason: 'expired' });
    assert.deepEqual(await completeLogin(store, { challenge, code: await codeAt(secret, clock.now()), address: HOME, now: clock.now() }, loose), {
      ok: false,
      reason: 'expired',
    });
    assert.deepEqual(await completeLogin(store, { challenge: 'made-up', code: '123456', address: HOME, now: clock.now() }, loose), {
      ok: false,
      reason: 'expired',
    });
    assert.equal(await sessions(), 0);
  });

  test('turning it off takes the password and a code; an admin reset takes neither; both are audited, and the password alone logs in again', async () => {
    const { secret } = await enrol();
    const code = await codeAt(secret, clock.now());
    assert.equal(await disableTotp(store, anna, { password: 'sbagliata-davvero', code }, clock.now(), ANNA), false);
    assert.equal(await disableTotp(store, anna, { password: PW, code: '000000' }, clock.now(), ANNA), false);
    assert.notEqual((await totpState(store.db, anna.id)).enabledAt, null);
    assert.equal(await disableTotp(store, anna, { password: PW, code }, clock.now(), ANNA), true);
    assert.deepEqual(await totpState(store.db, anna.id), { enabledAt: null, pendingSecret: null, recoveryLeft: 0 });
    assert.ok((await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, policy)).ok);
    const off = (await listAudit(store.db, { action: 'user.totp' })).find((a) => (a.after as { enabled: boolean }).enabled === false);
    assert.ok(off);

    await enrol();
    const pending = await password();
    assert.equal(await resetTotp(store, anna, clock.now(), CLI_ACTOR), true);
    assert.equal(await resetTotp(store, anna, clock.now(), CLI_ACTOR), false, 'nothing left to reset');
    assert.deepEqual(await totpState(store.db, anna.id), { enabledAt: null, pendingSecret: null, recoveryLeft: 0 });
    assert.equal(
      Number(
        (
          await store.db
            .selectFrom('login_challenges')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      0,
    );
    assert.deepEqual(await completeLogin(store, { challenge: pending, code: '123456', address: HOME, now: clock.now() }, policy), {
      ok: false,
      reason: 'expired',
    });
    assert.ok((await login(store, { username: 'anna', password: PW, address: HOME, now: clock.now() }, policy)).ok);
    const resets = await listAudit(store.db, { action: 'user.totp_reset' });
    assert.equal(resets.length, 1);
    assert.deepEqual([resets[0].actor, resets[0].target, resets[0].after], ['cli', anna.id, { enabled: false }]);
  });

  test('a new password ends a login waiting for its code', async () => {
    const { secret } = await enrol();
    const challenge = await password();
    await setPassword(store, clock.now(), 'anna', 'una-password-nuova', CLI_ACTOR, TEST_SCRYPT);
    const code = await codeAt(secret, clock.now());
    assert.deepEqual(await completeLogin(store, { challenge, code, address: HOME, now: clock.now() }, policy), { ok: false, reason: 'expired' });
  });
});
