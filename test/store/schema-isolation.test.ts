/**
 * PostgreSQL stores share a database with other schemas that come and go: other installations,
 * other runs of this suite (two runs side by side lost stores to 3F000 `schema "t_…" does not
 * exist` while migrating). A store opens, migrates and introspects inside its own schema only.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openTestStore, postgresUnavailable, TEST_DATABASE_URL } from '../helpers/stores.ts';

const skip = (await postgresUnavailable()) ?? false;
if (skip) console.log(`# schema isolation: ${skip}`);

describe('PostgreSQL schemas of other runs', { skip }, () => {
  test('stores open while another client creates and drops schemas in a loop', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    let stop = false;
    const churn = (async () => {
      let rounds = 0;
      while (!stop) {
        const schema = `t_churn_${randomBytes(5).toString('hex')}`;
        await admin.query(`create schema ${schema}; create table ${schema}.t (id serial primary key, a text, b text)`);
        await admin.query(`drop schema ${schema} cascade`);
        rounds++;
      }
      return rounds;
    })();
    const failures: string[] = [];
    try {
      // Before the fix about half of these failed: Kysely's migrator read every schema's tables.
      for (let i = 0; i < 8; i++) {
        try {
          const store = await openTestStore('postgres');
          await store.destroy();
        } catch (error) {
          failures.push(`${(error as { code?: string }).code} ${(error as Error).message}`);
        }
      }
    } finally {
      stop = true;
      const rounds = await churn;
      await admin.end();
      assert.ok(rounds > 0, 'schemas were dropped while the stores opened');
    }
    assert.deepEqual(failures, []);
  });

  test("introspection lists the store's own tables and schema only", async () => {
    const [a, b] = [await openTestStore('postgres'), await openTestStore('postgres')];
    try {
      const schemaOf = (s: typeof a) => s.description.split(' schema ')[1];
      const tables = await a.db.introspection.getTables();
      assert.ok(tables.some((t) => t.name === 'requests'));
      assert.deepEqual([...new Set(tables.map((t) => t.schema))], [schemaOf(a)]);
      assert.ok(!tables.some((t) => t.name.startsWith('kysely_migration')), 'Kysely tables only when asked for');
      assert.ok((await a.db.introspection.getTables({ withInternalKyselyTables: true })).some((t) => t.name === 'kysely_migration'));
      assert.deepEqual(
        (await a.db.introspection.getSchemas()).map((s) => s.name),
        [schemaOf(a)],
      );
      const id = tables.find((t) => t.name === 'ledger')?.columns.find((c) => c.name === 'id');
      assert.ok(id, 'columns are read');
      assert.notEqual(schemaOf(a), schemaOf(b));
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });
});
