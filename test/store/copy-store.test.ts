import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/store.ts';
import { copyStore } from '../../src/store/copy-store.ts';
import { TABLE_KEYS } from '../../src/store/schema.ts';
import { createAccount, topUp } from '../../src/accounts/accounts.ts';
import { authenticateKey } from '../../src/accounts/api-keys.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createLocalNotifier } from '../../src/queue/notifier.ts';
import { ManualClock } from '../../src/clock.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { cliOk } from '../helpers/cli.ts';
import pino from 'pino';

const pgSkip = await postgresUnavailable();
if (pgSkip) console.log(`# copy-store: ${pgSkip}`);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cercapec-copy-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A store with rows in every table, strings with accents and nulls included. */
async function filledStore(): Promise<{ store: Store; key: string; accountId: string }> {
  const store = await openStore({ dataDir: tempDir() });
  const clock = new ManualClock();
  const { account, key } = await createAccount(store, clock.now(), { name: 'Società Cooperativa àèìòù', billingMode: 'prepaid', priceCents: 7, initialCreditCents: 1000 });
  await topUp(store, account.id, 250, clock.now(), 'bonifico n° 12');
  await importDataset(store, clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti', name: 'ipa' });
  const deps = { store, clock, notifier: createLocalNotifier(), logger: pino({ level: 'silent' }), maxAttempts: 3 };
  const found = await submitLookup(deps, { account, code: '82003050109', via: 'json', idempotency: { key: 'k', bodyHash: 'h' } });
  await submitLookup(deps, { account, code: '00743110157', via: 'text' });
  await store.db.insertInto('request_addresses').values({ request_id: found.id, position: 0, pec: 'protocollo@pec.comune.rezzoaglio.ge.it', source: 'directory', kind: 'ente', dataset_id: null, label: 'Comune di Rezzoaglio', found_at: clock.now() }).execute();
  await store.db.insertInto('attempts').values({ id: 'att_1', request_id: found.id, source: 'directory', started_at: clock.now(), finished_at: clock.now() + 3, outcome: 'found', error: null }).execute();
  return { store, key: key.key, accountId: account.id };
}

async function dump(store: Store): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, keys] of Object.entries(TABLE_KEYS)) {
    let q = store.db.selectFrom(table as keyof typeof TABLE_KEYS).selectAll() as any;
    for (const k of keys) q = q.orderBy(k);
    out[table] = await q.execute();
  }
  return out;
}

describe('copy-store', () => {
  test('the table list matches the migrated schema', async () => {
    const store = await openStore({ dataDir: ':memory:' });
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name not like 'sqlite_%'`.execute(store.db);
    assert.deepEqual(tables.rows.map((r) => r.name).sort(), Object.keys(TABLE_KEYS).sort());
    await store.close();
  });

  test('SQLite -> SQLite copies every row exactly; a non-empty target is refused unless --replace', async () => {
    const { store, key, accountId } = await filledStore();
    const target = await openStore({ dataDir: tempDir() });
    const counts = await copyStore(store, target);
    for (const [t, n] of Object.entries(counts)) assert.ok(n > 0, `${t} has rows`);
    assert.deepEqual(await dump(target), await dump(store));
    assert.equal(await balanceOf(target.db, accountId), 1236);
    assert.equal((await authenticateKey(target, key))?.id, accountId);
    await assert.rejects(copyStore(store, target), /not empty/);
    await copyStore(store, target, { replace: true });
    assert.deepEqual(await dump(target), await dump(store));
    await store.close();
    await target.close();
  });

  test('SQLite -> PostgreSQL -> SQLite round trip, every table equal', { skip: pgSkip ?? false }, async () => {
    const { store, key, accountId } = await filledStore();
    const schema = `copy_${randomBytes(4).toString('hex')}`;
    const pg = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema });
    const back = await openStore({ dataDir: tempDir() });
    try {
      await copyStore(store, pg);
      await copyStore(pg, back);
      const original = await dump(store);
      assert.deepEqual(await dump(pg), original);
      assert.deepEqual(await dump(back), original);
      assert.equal(await balanceOf(pg.db, accountId), 1236);
      assert.equal((await authenticateKey(pg, key))?.id, accountId);
    } finally {
      await pg.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await pg.close();
      await back.close();
      await store.close();
    }
  });

  test('the CLI command copies a data folder into PostgreSQL', { skip: pgSkip ?? false, timeout: 60_000 }, async () => {
    const { store } = await filledStore();
    const dir = store.description.replace(/^sqlite /, '').replace(/\/cercapec\.sqlite$/, '');
    await store.close();
    const schema = `copycli_${randomBytes(4).toString('hex')}`;
    try {
      const out = await cliOk(['copy-store', '--from', dir, '--to', TEST_DATABASE_URL, '--to-schema', schema]);
      assert.match(out.stdout, /^accounts\t1$/m);
      assert.match(out.stdout, /^total\t\d+$/m);
      const again = await (await import('../helpers/cli.ts')).runCli(['copy-store', '--from', dir, '--to', TEST_DATABASE_URL, '--to-schema', schema]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /not empty/);
      assert.doesNotMatch(again.stderr, /\n\s+at /);
    } finally {
      const pg = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, migrate: false });
      await pg.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await pg.close();
    }
  });
});
