import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/store.ts';

/**
 * WAL checkpoints on a worker thread (src/store/background-checkpoints.ts), SQLite only: the
 * WAL stays bounded under a steady writer (the worker alone never lets it start over) and every
 * commit survives closing and reopening.
 */
describe('background WAL checkpoints', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function open(dir: string, checkpointInBackground: boolean): Promise<Store> {
    const store = await openStore({ dataDir: dir, checkpointInBackground });
    stores.push(store);
    return store;
  }

  test('the WAL stays bounded and every commit is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-ckpt-'));
    dirs.push(dir);
    const store = await open(dir, true);
    const { rows: before } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    assert.equal(Number(before[0].wal_autocheckpoint), 4000, 'the writer checkpoints every 4,000 pages');
    await sql`create table filler (n integer primary key, pad blob not null)`.execute(store.db);
    // About 48 MB through the WAL in 600 commits: three times the writer's threshold.
    const pad = Buffer.alloc(4000, 7);
    for (let t = 0; t < 600; t++) {
      await store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 20; i++) await sql`insert into filler (n, pad) values (${t * 20 + i}, ${pad})`.execute(trx);
      });
    }
    const wal = statSync(join(dir, 'cercapec.sqlite-wal')).size;
    assert.ok(wal < 40 * 1024 * 1024, `the WAL is ${wal} bytes`);
    await store.close();
    stores.splice(stores.indexOf(store), 1);

    const reopened = await open(dir, false);
    const { rows } = await sql<{ n: number }>`select count(*) as n from filler`.execute(reopened.db);
    assert.equal(Number(rows[0].n), 12_000);
  });

  test("without it, the writer keeps SQLite's default checkpoints", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-ckpt-'));
    dirs.push(dir);
    const store = await open(dir, false);
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    assert.equal(Number(rows[0].wal_autocheckpoint), 1000);
  });
});
