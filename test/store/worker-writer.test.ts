import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/store.ts';
import { runBulk } from '../../src/store/bulk-writes.ts';

/**
 * Bulk writes on a worker thread's connection (src/store/worker-writer.ts), SQLite file only:
 * they commit or roll back as one transaction, the main connection's writes wait for them
 * rather than failing busy, SQLite's error codes come through, and the thread is started again
 * after it ends.
 */
describe('bulk writes on the SQLite writer thread', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function open(): Promise<Store> {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bulk-'));
    dirs.push(dir);
    const store = await openStore({ dataDir: dir });
    stores.push(store);
    await sql`create table t (n integer primary key, v text not null)`.execute(store.db);
    return store;
  }

  const count = async (store: Store) => Number((await sql<{ n: number }>`select count(*) as n from t`.execute(store.db)).rows[0].n);

  test('a file store has a bulk handle; an in-memory one writes with db', async () => {
    const store = await open();
    assert.ok(store.bulk);
    const memory = await openStore({ dataDir: ':memory:' });
    stores.push(memory);
    assert.equal(memory.bulk, undefined);
  });

  test('a transaction commits as a whole, and a main-connection write waits for it', async () => {
    const store = await open();
    const order: string[] = [];
    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    const bulk = runBulk(store, (db) =>
      db.transaction().execute(async (trx) => {
        await sql`insert into t (n, v) values (1, 'bulk')`.execute(trx);
        inside();
        // The main connection's write is issued now and must not run before this commit.
        await new Promise((r) => setTimeout(r, 50));
        await sql`insert into t (n, v) values (2, 'bulk')`.execute(trx);
        order.push('bulk committed');
      }),
    );
    await started;
    const main = (async () => {
      await sql`insert into t (n, v) values (3, 'main')`.execute(store.db);
      order.push('main written');
    })();
    await Promise.all([bulk, main]);
    assert.deepEqual(order, ['bulk committed', 'main written']);
    assert.equal(await count(store), 3);
  });

  test('a failed transaction leaves nothing, with SQLite error code, and the store goes on', async () => {
    const store = await open();
    await sql`insert into t (n, v) values (1, 'first')`.execute(store.db);
    await assert.rejects(
      runBulk(store, (db) =>
        db.transaction().execute(async (trx) => {
          await sql`insert into t (n, v) values (2, 'x')`.execute(trx);
          await sql`insert into t (n, v) values (1, 'again')`.execute(trx);
        }),
      ),
      (error: Error & { code?: string }) => error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
    );
    assert.equal(await count(store), 1);
    await runBulk(store, (db) => sql`insert into t (n, v) values (2, 'y')`.execute(db));
    await sql`insert into t (n, v) values (3, 'main')`.execute(store.db);
    assert.equal(await count(store), 3);
  });

  test('reads in the transaction see its own rows; the reader sees them after the commit', async () => {
    const store = await open();
    await runBulk(store, (db) =>
      db.transaction().execute(async (trx) => {
        await sql`insert into t (n, v) values (1, 'a'), (2, 'b')`.execute(trx);
        const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
        assert.equal(Number(rows[0].n), 2);
      }),
    );
    const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(store.reader);
    assert.equal(Number(rows[0].n), 2);
  });
});
