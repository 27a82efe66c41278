import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { createLocalDirectory } from '../../src/registries/local-directory.ts';

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

  test('the local directory answers a submission while the group commit holds the writer', { timeout: 20_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-reader-'));
    const store = await openStore({ dataDir: dir });
    try {
      await store.db
        .insertInto('datasets')
        .values({
          id: 'ds1',
          name: 'd',
          format: 'csv',
          source_file: null,
          rows_read: 1,
          rows_imported: 1,
          rows_rejected: 0,
          imported_at: 1,
          managed_by: null,
          account_id: null,
        })
        .execute();
      await store.db
        .insertInto('directory_entries')
        .values({ dataset_id: 'ds1', code: '00743110157', position: 0, pec: 'a@pec.it', kind: 'pec', label: null })
        .execute();
      const directory = createLocalDirectory(store);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const writing = store.db.transaction().execute(async () => {
        entered();
        await held;
      });
      await inside;
      // Through the writing connection this lookup waited for the whole transaction (issue 14).
      const answer = await Promise.race([
        directory.lookup({ requestId: 'r', code: '00743110157', kind: 'cf11', reference: null }, AbortSignal.timeout(10_000)),
        writing.then(() => assert.fail('the lookup waited for the write transaction')),
      ]);
      assert.equal(answer.outcome, 'found');
      release();
      await writing;
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
