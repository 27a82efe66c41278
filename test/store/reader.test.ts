import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.ts';
import { createAccount } from '../../src/accounts/accounts.ts';

describe('reads beside writes (SQLite file)', () => {
  test('the reader answers the last committed state while a write transaction is open', { timeout: 20_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-reader-'));
    const store = await openStore({ dataDir: dir });
    try {
      assert.notEqual(store.reader, store.db, 'a file store has its own reading connection');
      const { account } = await createAccount(store, 1, { name: 'a', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 100 });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const writing = store.db.transaction().execute(async (trx) => {
        await trx.updateTable('accounts').set({ name: 'renamed' }).where('id', '=', account.id).execute();
        entered();
        await held;
      });
      await inside;
      // With one connection this read would queue behind the open transaction until release().
      const row = await Promise.race([
        store.reader.selectFrom('accounts').select('name').where('id', '=', account.id).executeTakeFirstOrThrow(),
        writing.then(() => assert.fail('the read waited for the write transaction')),
      ]);
      assert.equal(row.name, 'a', 'the uncommitted change is not visible');
      release();
      await writing;
      const after = await store.reader.selectFrom('accounts').select('name').where('id', '=', account.id).executeTakeFirstOrThrow();
      assert.equal(after.name, 'renamed', 'the commit is visible to the next read');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
