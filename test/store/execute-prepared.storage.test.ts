/**
 * executePrepared on both dialects: the same statement with new values answers each run, and on
 * PostgreSQL it runs as a named prepared statement of its connection.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { executePrepared } from '../../src/store/execute-prepared.ts';

await eachDialect(describe, 'executePrepared', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.close();
  });

  test('runs the same text with new values, prepared on PostgreSQL', async () => {
    const query = (n: number) =>
      dialect === 'postgres'
        ? // Listed in the session's pg_prepared_statements while it runs (not a SQL PREPARE: from_sql false).
          sql<{ v: number; prepared: boolean }>`select ${n}::int + 1 as v,
            exists (select 1 from pg_prepared_statements where name like 'cercapec\\_%' and not from_sql) as prepared`
        : sql<{ v: number; prepared: boolean }>`select ${n} + 1 as v, 0 as prepared`;
    // More runs than connections, some at once: each connection prepares it on first use.
    const rows = await Promise.all(Array.from({ length: 30 }, (_, n) => executePrepared(store, query(n).compile(store.db))));
    assert.deepEqual(
      rows.map((r) => r.map((x) => Number(x.v))),
      Array.from({ length: 30 }, (_, n) => [n + 1]),
    );
    assert.ok(rows.every((r) => Boolean(r[0].prepared) === (dialect === 'postgres')));
  });
});
