/**
 * revokeApiKey checks whose key it is: an account revokes its own keys, never another's, and an
 * unknown key is a typed error too. Nothing changes and nothing is audited when it refuses.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { authenticateKey, revokeApiKey } from '../../src/accounts/api-keys.ts';
import { ErrorCode, isCercapecError } from '../../src/errors.ts';
import { CLI_ACTOR } from '../../src/audit/record-audit.ts';

await eachDialect(describe, 'revokeApiKey', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(() => store.destroy());

  const open = (name: string) => createAccount(store, 1, { name, billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 });
  const revokedAt = async (keyId: string) =>
    (await store.db.selectFrom('api_keys').select('revoked_at').where('id', '=', keyId).executeTakeFirstOrThrow()).revoked_at;
  const revocations = async () => (await store.db.selectFrom('audit_log').select('id').where('action', '=', 'key.revoke').execute()).length;

  test("one account cannot revoke another's key", async () => {
    const rossi = await open('Rossi');
    const bianchi = await open('Bianchi');
    await assert.rejects(revokeApiKey(store, { accountId: rossi.account.id, keyId: bianchi.key.id }, 2, CLI_ACTOR), (error) =>
      isCercapecError(error, ErrorCode.keyOfAnotherAccount),
    );
    assert.equal(await revokedAt(bianchi.key.id), null);
    assert.equal((await authenticateKey(store, bianchi.key.key))?.id, bianchi.account.id, "Bianchi's key still works");
    assert.equal(await revocations(), 0, 'nothing audited');

    await revokeApiKey(store, { accountId: bianchi.account.id, keyId: bianchi.key.id }, 3, CLI_ACTOR);
    assert.equal(Number(await revokedAt(bianchi.key.id)), 3);
    assert.equal(await authenticateKey(store, bianchi.key.key), null);
    assert.equal(await revocations(), 1);
    // Already revoked: the owner's second call changes nothing; another account is still refused.
    await revokeApiKey(store, { accountId: bianchi.account.id, keyId: bianchi.key.id }, 4, CLI_ACTOR);
    assert.equal(Number(await revokedAt(bianchi.key.id)), 3);
    await assert.rejects(revokeApiKey(store, { accountId: rossi.account.id, keyId: bianchi.key.id }, 5), (error) =>
      isCercapecError(error, ErrorCode.keyOfAnotherAccount),
    );
    assert.equal(await revocations(), 1);
  });

  test('an unknown key is key_not_found', async () => {
    const rossi = await open('Rossi');
    await assert.rejects(revokeApiKey(store, { accountId: rossi.account.id, keyId: 'key_nonexistent' }, 2), (error) =>
      isCercapecError(error, ErrorCode.keyNotFound),
    );
  });
});
