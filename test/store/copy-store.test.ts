import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { searchNames } from '../../src/search/search-names.ts';
import { sql } from 'kysely';
import pino from 'pino';
import { openStore, type Store } from '../../src/store/store.ts';
import { copyStore, COPIED_TABLES } from '../../src/store/copy-store.ts';
import { TABLE_KEYS } from '../../src/store/schema.ts';
import { createAccount, topUp } from '../../src/accounts/accounts.ts';
import { addApiKey, authenticateKey, revokeApiKey } from '../../src/accounts/api-keys.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createLocalNotifier } from '../../src/queue/notifier.ts';
import { ManualClock } from '../../src/clock.ts';
import { isCercapecError } from '../../src/errors.ts';
import { dialects, openTestStore, postgresUnavailable, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { cliOk, runCli, IPA_SAMPLE } from '../helpers/cli.ts';
import { uploadingBatchRow } from '../../src/batches/create-batch.ts';

const pgSkip = await postgresUnavailable();
if (pgSkip) console.log(`# copy-store [postgres]: ${pgSkip}`);
const onPostgres = { skip: pgSkip ?? false, timeout: 60_000 };

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cercapec-copy-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NASTY = 'Società «Cooperativa» àèìòù ß 東京 🇮🇹 "quoted" \'single\'\nsecond line\t\\';

interface Filled {
  dir: string;
  store: Store;
  key: string;
  accountId: string;
  balance: number;
}

/** An embedded store in a temp folder with rows in every table: unicode, nulls, big times, negative cents. */
async function filledStore(name = NASTY): Promise<Filled> {
  const dir = tempDir();
  const store = await openStore({ dataDir: dir });
  const clock = new ManualClock();
  const { account, key } = await createAccount(store, clock.now(), {
    name,
    billingMode: 'prepaid',
    priceCents: 7,
    initialCreditCents: 1000,
    defaultReference: 'rif. n° 1',
  });
  const other = await createAccount(store, clock.now(), { name: 'Postpagato', billingMode: 'postpaid', priceCents: 0 });
  await revokeApiKey(store, { accountId: other.account.id, keyId: other.key.id }, clock.now() + 1);
  await addApiKey(store, other.account.id, clock.now(), { label: 'étiquette ✓' });
  await topUp(store, account.id, 250, clock.now(), 'bonifico n° 12 — «saldo»');
  await topUp(store, account.id, -30, clock.now(), undefined);
  await importDataset(store, clock, { file: IPA_SAMPLE, format: 'ipa-enti', name: 'ipa àè', nameColumn: 'denominazione_ente' });
  const deps = { store, clock, notifier: createLocalNotifier(), logger: pino({ level: 'silent' }), maxAttempts: 3 };
  const found = await submitLookup(deps, { account, code: '82003050109', via: 'json', idempotency: { key: 'idem-ü', bodyHash: 'h' } });
  clock.advance(1);
  await submitLookup(deps, { account, code: '00743110157', via: 'text', reference: NASTY });
  const { id: datasetId } = await store.db.selectFrom('datasets').select('id').executeTakeFirstOrThrow();
  await store.db
    .insertInto('request_addresses')
    .values([
      {
        request_id: found.id,
        position: 0,
        pec: 'protocollo@pec.comune.rezzoaglio.ge.it',
        source: 'directory',
        kind: 'ente',
        dataset_id: datasetId,
        label: NASTY,
        found_at: clock.now(),
      },
      {
        request_id: found.id,
        position: 1,
        pec: 'altro@pec.example.it',
        source: 'directory',
        kind: 'ente',
        dataset_id: null,
        label: null,
        found_at: clock.now(),
      },
    ])
    .execute();
  await store.db
    .insertInto('attempts')
    .values([
      { id: 'att_1', request_id: found.id, source: 'directory', started_at: clock.now(), finished_at: clock.now() + 3, outcome: 'found', error: null },
      {
        id: 'att_2',
        request_id: found.id,
        source: 'directory',
        started_at: clock.now(),
        finished_at: clock.now() + 9,
        outcome: 'transient_error',
        error: NASTY,
      },
    ])
    .execute();
  await store.db
    .insertInto('jobs')
    .values({
      id: 'job_big',
      queue: 'lookup',
      payload: JSON.stringify({ note: NASTY }),
      status: 'running',
      run_at: 0,
      attempts: 2,
      max_attempts: 8,
      locked_by: 'worker ☃',
      locked_until: Number.MAX_SAFE_INTEGER,
      last_error: NASTY,
      created_at: clock.now(),
      updated_at: clock.now(),
    })
    .execute();
  const now = clock.now();
  await store.db
    .insertInto('batches')
    .values({
      ...uploadingBatchRow({ id: 'bat_1', accountId: account.id, format: 'csv', callbackUrl: null, now }),
      status: 'completed',
      column_name: 'codice_fiscale',
      input_columns: JSON.stringify(['codice_fiscale', 'nota ✓']),
      csv_delimiter: ';',
      total_rows: 2,
      valid_rows: 1,
      invalid_rows: 1,
      distinct_codes: 1,
      completed_at: now,
    })
    .execute();
  await store.db
    .insertInto('batch_rows')
    .values([
      { batch_id: 'bat_1', row_index: 0, input: JSON.stringify(['82003050109', NASTY]), code: '82003050109', error: null, request_id: found.id },
      { batch_id: 'bat_1', row_index: 1, input: JSON.stringify(['xyz', '']), code: null, error: 'lunghezza errata', request_id: null },
    ])
    .execute();
  await store.db
    .insertInto('batch_idempotency_keys')
    .values({ account_id: account.id, key: 'idem-lotto-ü', body_hash: 'h', batch_id: 'bat_1', created_at: now })
    .execute();
  await store.db
    .insertInto('account_webhooks')
    .values({ account_id: account.id, url: 'https://example.it/hook?à=1', secret: 'whsec_ü', secret_shown_at: null, created_at: now, updated_at: now })
    .execute();
  await store.db
    .insertInto('webhook_deliveries')
    .values({
      id: 'whd_1',
      account_id: account.id,
      request_id: found.id,
      batch_id: null,
      url: 'https://example.it/hook?à=1',
      event: 'lookup.answered',
      body: JSON.stringify({ label: NASTY }),
      status: 'failed',
      attempts: 2,
      last_status_code: 500,
      last_error: NASTY,
      next_attempt_at: null,
      created_at: now,
      delivered_at: null,
    })
    .execute();
  await store.db
    .insertInto('webhook_attempts')
    .values([
      { id: 'wha_1', delivery_id: 'whd_1', at: now, status_code: 500, error: null, duration_ms: 12 },
      { id: 'wha_2', delivery_id: 'whd_1', at: now + 1000, status_code: null, error: 'timeout', duration_ms: 10_000 },
    ])
    .execute();
  // back office (0006)
  await store.db
    .insertInto('users')
    .values({
      id: 'usr_1',
      username: 'anna',
      password_hash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
      role: 'admin',
      status: 'active',
      created_at: now,
      updated_at: now,
      last_login_at: null,
      totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      totp_enabled_at: now,
      totp_last_step: Math.floor(now / 30_000),
    })
    .execute();
  // second factor (0021)
  await store.db
    .insertInto('totp_recovery_codes')
    .values({ user_id: 'usr_1', code_hash: 'e'.repeat(64), created_at: now })
    .execute();
  await store.db
    .insertInto('login_challenges')
    .values({ token_hash: 'd'.repeat(64), user_id: 'usr_1', created_at: now, failures: 2 })
    .execute();
  await store.db
    .insertInto('admin_sessions')
    .values({ token_hash: 'f'.repeat(64), user_id: 'usr_1', created_at: now, last_seen_at: now + 1 })
    .execute();
  await store.db
    .insertInto('login_failures')
    .values({ username: NASTY.slice(0, 64), address: '203.0.113.7', failures: 3, first_failed_at: now, last_failed_at: now + 5 })
    .execute();
  await store.db
    .insertInto('audit_log')
    .values({
      id: 'aud_1',
      at: now,
      actor: 'cli',
      action: 'account.update',
      target: account.id,
      before_json: JSON.stringify({ name: NASTY }),
      after_json: null,
    })
    .execute();
  // registries (0005)
  await store.db
    .insertInto('registry_cache')
    .values({
      source: 'inipec',
      code: NASTY.slice(0, 16),
      outcome: 'found',
      addresses: JSON.stringify([{ pec: 'a@pec.it', kind: 'company' }]),
      cached_at: now,
      expires_at: now + 86_400_000,
    })
    .execute();
  await store.db
    .insertInto('registry_sync')
    .values({
      source: 'ipa-mirror',
      etag: '"abc"',
      last_modified: null,
      dataset_id: null,
      rows: 10,
      checked_at: now,
      refreshed_at: now,
      status: 'ok',
      error: NASTY,
    })
    .execute();
  // history and watches (0012, 0013)
  await store.db
    .insertInto('address_observations')
    .values([
      {
        id: 'obs_1',
        code: '00743110157',
        source: 'directory',
        pec: 'a@pec.example.it',
        kind: 'ente',
        first_seen_at: now,
        last_seen_at: now + 5,
        valid_from: null,
        valid_to: null,
        superseded_at: now + 9,
      },
      {
        id: 'obs_2',
        code: '00743110157',
        source: 'directory',
        pec: null,
        kind: null,
        first_seen_at: now + 9,
        last_seen_at: now + 9,
        valid_from: now - 86_400_000,
        valid_to: now + 86_400_000,
        superseded_at: null,
      },
    ])
    .execute();
  await store.db
    .insertInto('watches')
    .values({ account_id: account.id, code: '00743110157', kind: 'cf11', reference: NASTY, created_at: now, billed_month: '2026-11' })
    .execute();
  await store.db
    .insertInto('watch_events')
    .values({
      id: 'wev_1',
      account_id: account.id,
      code: '00743110157',
      type: 'pec.removed',
      before_pec: 'a@pec.example.it',
      after_pec: null,
      source: 'directory',
      at: now + 9,
      observation_id: 'obs_2',
    })
    .execute();
  // A table added to the schema (and to TABLE_KEYS) needs rows here too, or its copy is untested.
  for (const table of COPIED_TABLES) {
    const row = await store.db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    assert.ok(Number(row.n) > 0, `filledStore() in test/store/copy-store.test.ts puts no rows in ${table}: add some`);
  }
  return { dir, store, key: key.key, accountId: account.id, balance: 1000 + 250 - 30 - 7 - 7 };
}

/** Every table, every row, sorted by key in JavaScript (not by the database's collation). */
async function dump(store: Store): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of COPIED_TABLES) {
    const keys: readonly string[] = TABLE_KEYS[table];
    const rows = (await store.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    out[table] = rows.sort((a, b) => {
      for (const k of keys) {
        const x = a[k] as string | number;
        const y = b[k] as string | number;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
  }
  return out;
}

async function assertEmpty(store: Store): Promise<void> {
  for (const [table, rows] of Object.entries(await dump(store))) assert.equal(rows.length, 0, `${table} is empty`);
}

const refused = (pattern: RegExp) => (error: unknown) => isCercapecError(error, 'invalid_argument') && pattern.test(error.message);

describe('copy-store', () => {
  for (const dialect of dialects()) {
    test(`the table list matches a migrated store [${dialect}]`, dialect === 'postgres' ? onPostgres : {}, async () => {
      const store = await openTestStore(dialect);
      try {
        const { rows } =
          dialect === 'sqlite'
            ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(store.db)
            : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(store.db);
        // name_entries_fts and its shadow tables (SQLite FTS5) are an index of name_entries, kept by triggers.
        const tables = rows
          .map((r) => r.name)
          .filter((name) => !name.startsWith('kysely_migration') && !name.startsWith('name_entries_fts'))
          .sort();
        // Every table is listed in TABLE_KEYS; all but auth_epoch (each store's own counter) are copied.
        assert.deepEqual(tables, Object.keys(TABLE_KEYS).sort());
        assert.deepEqual(
          Object.keys(TABLE_KEYS).filter((t) => !COPIED_TABLES.includes(t as never)),
          ['auth_epoch'],
        );
      } finally {
        await store.destroy();
      }
    });
  }

  for (const dialect of dialects()) {
    test(`SQLite -> ${dialect} -> SQLite: every row of every table equal, balance and key still work`, dialect === 'postgres' ? onPostgres : {}, async () => {
      const source = await filledStore();
      const middle = await openTestStore(dialect);
      const back = await openStore({ dataDir: tempDir() });
      try {
        // A tiny page makes every table (and every composite key) span several pages.
        const counts = await copyStore(source.store, middle, { pageSize: 7 });
        const original = await dump(source.store);
        assert.deepEqual(counts, Object.fromEntries(Object.entries(original).map(([t, rows]) => [t, rows.length])));
        assert.ok(counts.directory_entries > 7);
        assert.deepEqual(await copyStore(middle, back), counts);
        assert.deepEqual(await dump(middle), original);
        assert.deepEqual(await dump(back), original);
        for (const store of [middle, back]) {
          assert.equal(await balanceOf(store.db, source.accountId), source.balance);
          assert.equal((await authenticateKey(store, source.key))?.id, source.accountId);
          const job = await store.db.selectFrom('jobs').select('locked_until').where('id', '=', 'job_big').executeTakeFirstOrThrow();
          assert.equal(job.locked_until, Number.MAX_SAFE_INTEGER);
          // The names came with their full-text index (FTS5 triggers on SQLite, GIN on PostgreSQL).
          assert.equal((await searchNames(store, 'rezzoaglio')).items[0]?.code, '82003050109');
        }
      } finally {
        await middle.destroy();
        await back.close();
        await source.store.close();
      }
    });
  }

  test('a non-empty target is refused and left as it was; --replace swaps its content', onPostgres, async () => {
    const first = await filledStore();
    const second = await filledStore('Seconda S.r.l.');
    const pg = await openTestStore('postgres');
    try {
      await copyStore(first.store, pg);
      const before = await dump(pg);
      await assert.rejects(copyStore(second.store, pg), refused(/not empty/));
      assert.deepEqual(await dump(pg), before);
      await copyStore(second.store, pg, { replace: true });
      assert.deepEqual(await dump(pg), await dump(second.store));
      assert.equal(await authenticateKey(pg, first.key), null);
      assert.equal((await authenticateKey(pg, second.key))?.id, second.accountId);
    } finally {
      await pg.destroy();
      await first.store.close();
      await second.store.close();
    }
  });

  for (const dialect of dialects()) {
    test(`a copy failing half-way leaves the target as it was [${dialect}]`, dialect === 'postgres' ? onPostgres : {}, async () => {
      const source = await filledStore();
      const target = await openTestStore(dialect);
      const failAtJobs = (table: string) => {
        if (table === 'jobs') throw new Error('disk full');
      };
      try {
        await assert.rejects(copyStore(source.store, target, { pageSize: 10, onProgress: failAtJobs }), /disk full/);
        await assertEmpty(target);
        const other = await filledStore('Altro');
        await copyStore(other.store, target);
        const before = await dump(target);
        await assert.rejects(copyStore(source.store, target, { replace: true, onProgress: failAtJobs }), /disk full/);
        assert.deepEqual(await dump(target), before);
        await other.store.close();
      } finally {
        await target.destroy();
        await source.store.close();
      }
    });
  }

  test('stores at different migrations, and a store onto itself, are refused', async () => {
    const source = await filledStore();
    const target = await openStore({ dataDir: tempDir() });
    try {
      await assert.rejects(copyStore(source.store, source.store, { replace: true }), refused(/same store/));
      await sql`delete from kysely_migration where name = '0002-json-api'`.execute(target.db);
      await assert.rejects(copyStore(source.store, target), refused(/different migrations/));
      assert.equal((await dump(source.store)).accounts.length, 2);
    } finally {
      await target.close();
      await source.store.close();
    }
  });

  test('the CLI moves a data folder into PostgreSQL and back', onPostgres, async () => {
    const source = await filledStore();
    const original = await dump(source.store);
    await source.store.close();
    const schema = `copycli_${randomBytes(4).toString('hex')}`;
    const backDir = join(tempDir(), 'back');
    try {
      const out = await cliOk(['copy-store', '--from', source.dir, '--to', TEST_DATABASE_URL, '--to-schema', schema]);
      assert.match(out.stdout, /^accounts\t2$/m);
      assert.match(out.stdout, new RegExp(`^directory_entries\\t${original.directory_entries.length}$`, 'm'));
      const total = Object.values(original).reduce((n, rows) => n + rows.length, 0);
      assert.match(out.stdout, new RegExp(`^total\\t${total}$`, 'm'));

      const again = await runCli(['copy-store', '--from', source.dir, '--to', TEST_DATABASE_URL, '--to-schema', schema]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /^cercapec: the target store is not empty .*--replace/m);
      assert.doesNotMatch(again.stderr, /\n\s+at /);
      await cliOk(['copy-store', '--from', source.dir, '--to', TEST_DATABASE_URL, '--to-schema', schema, '--replace']);

      await cliOk(['copy-store', '--from', `postgresql${TEST_DATABASE_URL.slice('postgres'.length)}`, '--from-schema', schema, '--to', backDir]);
      const back = await openStore({ dataDir: backDir });
      try {
        assert.deepEqual(await dump(back), original);
      } finally {
        await back.close();
      }

      const typo = await runCli(['copy-store', '--from', join(source.dir, 'nope'), '--to', tempDir()]);
      assert.equal(typo.code, 2);
      assert.match(typo.stderr, /^cercapec: --from .*no cercapec store in that folder/m);
      const schemaOnDir = await runCli(['copy-store', '--from', source.dir, '--to', tempDir(), '--to-schema', 'x']);
      assert.match(schemaOnDir.stderr, /^cercapec: --to-schema applies only to a postgres:\/\/ target$/m);
    } finally {
      const pg = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, migrate: false });
      await pg.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await pg.close();
    }
  });
});
