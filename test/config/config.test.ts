import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, envNameOf, loadConfig } from '../../src/config.ts';

test('environment booleans read "false" as false', () => {
  assert.equal(loadConfig({}, { CERCAPEC_TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(loadConfig({}, { CERCAPEC_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({}, { CERCAPEC_INLINE_ANSWERS: '0' }).inlineAnswers, false);
  assert.equal(loadConfig({}, {}).inlineAnswers, true);
  assert.throws(() => loadConfig({}, { CERCAPEC_TRUST_PROXY: 'maybe' }), ConfigError);
});

test('flags win over the environment; bad values are refused with the setting named', () => {
  assert.equal(loadConfig({ port: '9000' }, { CERCAPEC_PORT: '8000' }).port, 9000);
  assert.throws(() => loadConfig({}, { CERCAPEC_PORT: 'eighty' }), /port/);
  assert.throws(() => loadConfig({ role: 'boss' }, {}), /role/);
});

test('the password hashing cost: 15 unless set, 10 to 20', () => {
  assert.equal(loadConfig({}, {}).passwordHashCost, 15);
  assert.equal(loadConfig({}, { CERCAPEC_PASSWORD_HASH_COST: '12' }).passwordHashCost, 12);
  assert.throws(() => loadConfig({}, { CERCAPEC_PASSWORD_HASH_COST: '9' }), /passwordHashCost/);
  assert.throws(() => loadConfig({}, { CERCAPEC_PASSWORD_HASH_COST: '21' }), /passwordHashCost/);
});

test('every setting reads its environment variable, named from its key', () => {
  assert.equal(envNameOf('databaseStatementTimeoutMs'), 'CERCAPEC_DATABASE_STATEMENT_TIMEOUT_MS');
  assert.equal(envNameOf('port'), 'CERCAPEC_PORT');
  assert.equal(loadConfig({}, { CERCAPEC_WEBHOOK_BACKOFF_CAP_MS: '5000' }).webhookBackoffCapMs, 5000);
  assert.equal(loadConfig({}, { CERCAPEC_OPERATOR_LEASE_MINUTES: '3' }).operatorLeaseMinutes, 3);
});
