/**
 * Customer users: the rules of createUser (a customer has exactly one account, staff none),
 * `cercapec users add --role customer --account`, and an account's page in the back office
 * listing and creating them (the new user then logs in to the portal).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHarness, type Harness } from '../../helpers/services.ts';
import { runCli } from '../../helpers/cli.ts';
import { createUser, findUser } from '../../../src/users/users.ts';
import { openStore } from '../../../src/store/store.ts';
import { createAccount } from '../../../src/accounts/accounts.ts';
import { TEST_SCRYPT } from '../../helpers/password-cost.ts';
import { AdminClient, staff } from '../../admin/admin-fixture.ts';
import { PASSWORD, PortalClient } from './portal-fixture.ts';

describe('customer users', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness('sqlite', { adminLoginsPerMinute: 0 });
  });
  after(() => h.close());

  test('a customer needs an existing account; staff have none', async () => {
    const { id } = await h.account({ name: 'Studio' });
    const now = h.clock.now();
    await assert.rejects(createUser(h.store, now, { username: 'c1', password: PASSWORD, role: 'customer' }, undefined, TEST_SCRYPT), /needs an account/);
    await assert.rejects(
      createUser(h.store, now, { username: 'c2', password: PASSWORD, role: 'customer', accountId: 'acc_missing' }, undefined, TEST_SCRYPT),
      /no account/,
    );
    await assert.rejects(
      createUser(h.store, now, { username: 'c3', password: PASSWORD, role: 'operator', accountId: id }, undefined, TEST_SCRYPT),
      /only a customer/,
    );
    const user = await createUser(h.store, now, { username: 'c4', password: PASSWORD, role: 'customer', accountId: id }, undefined, TEST_SCRYPT);
    assert.equal(user.accountId, id);
  });

  test("an account's back-office page lists its customer users; an admin creates one, who logs in at /portal", async () => {
    const { id } = await h.account({ name: 'Ditta Verdi' });
    await staff(h.store, h.clock.now());
    const anna = await AdminClient.signedIn(h.app, 'anna');
    assert.match((await anna.get(`/admin/accounts/${id}`)).body, new RegExp(`href="/admin/accounts/${id}/users"`));
    await anna.get(`/admin/accounts/${id}/users`);
    const created = await anna.post(`/admin/accounts/${id}/users`, { username: 'Verdi', password: 'password-di-verdi' });
    assert.equal(created.statusCode, 303);
    const list = await anna.get(String(created.headers.location));
    assert.match(list.body, /<td>verdi<\/td>/);
    const otto = await AdminClient.signedIn(h.app, 'otto', { remoteAddress: '10.1.1.1' });
    await otto.get(`/admin/accounts/${id}/users`);
    assert.equal((await otto.post(`/admin/accounts/${id}/users`, { username: 'altro', password: 'password-di-altro' })).statusCode, 403, 'operators only look');
    const verdi = new PortalClient(h.app, 'http://localhost', '10.1.1.2');
    await verdi.login('verdi', 'password-di-verdi');
    assert.match((await verdi.get('/portal')).body, /Ditta Verdi/);
  });

  test('cercapec users add <name> --role customer --account <id> --password-stdin', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-customers-'));
    try {
      const store = await openStore({ dataDir: dir });
      const { account } = await createAccount(store, Date.now(), { name: 'Cliente CLI', billingMode: 'prepaid', priceCents: 10 });
      await store.close();
      const missing = await runCli(['users', 'add', 'cli1', '--role', 'customer', '--password-stdin', '--data', dir], { input: 'password-cliente\n' });
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /--account/);
      const added = await runCli(['users', 'add', 'cli1', '--role', 'customer', '--account', account.id, '--password-stdin', '--data', dir], {
        input: 'password-cliente\n',
      });
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, new RegExp(`user cli1 \\(customer of account ${account.id}\\) created: log in at /portal`));
      const list = await runCli(['users', 'list', '--data', dir]);
      assert.deepEqual(
        list.stdout
          .trim()
          .split('\n')
          .map((l) => [l.split('\t')[0], l.split('\t')[4]]),
        [
          ['username', 'account'],
          ['cli1', account.id],
        ],
      );
      const reopened = await openStore({ dataDir: dir });
      assert.equal((await findUser(reopened, 'cli1'))?.accountId, account.id);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
