import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { sql, type Kysely } from 'kysely';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createServices } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { cf11CheckDigit } from '../../src/taxid/index.ts';

function code(n: number): string {
  const first10 = `${String(5_000_000 + n).padStart(7, '0')}001`;
  return first10 + cf11CheckDigit(first10);
}

/**
 * A full disk inside a transaction (issue 15 item 11): SQLite rolls the transaction back itself on
 * SQLITE_FULL, and Kysely's ROLLBACK then failed with "cannot rollback - no transaction is active",
 * which replaced the cause in every log line. `max_page_count` makes the store "full" without
 * filling a real disk.
 */

/** Caps the store at its current size plus `spare` pages. */
async function capPages(db: Kysely<any>, spare: number): Promise<void> {
  const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(db);
  await sql.raw(`pragma max_page_count = ${Number(rows[0].page_count) + spare}`).execute(db);
}

describe('SQLITE_FULL inside a transaction', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const fileStore = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-full-'));
    dirs.push(dir);
    const store = await openStore({ dataDir: dir });
    stores.push(store);
    return store;
  };

  test('the error that surfaces is the FULL one, and the store works again', async () => {
    const store = await fileStore();
    await sql`create table filler (v text)`.execute(store.db);
    await capPages(store.db, 2);
    const error = await store.db
      .transaction()
      .execute(async (trx) => {
        for (let i = 0; i < 200; i++) await sql`insert into filler (v) values (${'x'.repeat(2000)})`.execute(trx);
      })
      .then(
        () => null,
        (e: unknown) => e as Error & { code?: string },
      );
    assert.ok(error, 'the transaction failed');
    assert.equal(error.code, 'SQLITE_FULL', `${error.message}`);
    assert.match(error.message, /database or disk is full/);
    // Nothing of it stayed, and the connection is usable (no transaction left open).
    const { rows } = await sql<{ n: number }>`select count(*) as n from filler`.execute(store.db);
    assert.equal(Number(rows[0].n), 0);
    await store.db.transaction().execute(async (trx) => {
      await sql`insert into filler (v) values ('small')`.execute(trx);
    });
  });

  test('a rollback asked for by the code itself still rolls back', async () => {
    const store = await fileStore();
    await sql`create table t (v text)`.execute(store.db);
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await sql`insert into t (v) values ('kept?')`.execute(trx);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(store.db);
    assert.equal(Number(rows[0].n), 0);
  });

  test('the text protocol answers the internal error line with 503 and logs the real cause once', async () => {
    const store = await fileStore();
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 9, 0, 0));
    const config = loadConfig({ rateLimitPerKey: 0, rateLimitPerIp: 0, keyCacheMs: 0, authFailuresPerMinute: 0, logLevel: 'info', inlineAnswers: false }, {});
    const services = await createServices(config, { clock, store, logger: pino({ level: 'info' }, sink) });
    const app = await buildApp(services);
    try {
      const {
        key: { key },
      } = await createAccount(store, clock.now(), {
        name: 'cliente',
        billingMode: 'prepaid',
        priceCents: 10,
        initialCreditCents: 100_000,
        creditLimitCents: null,
      });
      await capPages(store.db, 0);
      // Requests until one needs a page the store no longer has.
      let answer: Awaited<ReturnType<typeof app.inject>> | undefined;
      for (let n = 0; n < 500; n++) {
        answer = await app.inject({ method: 'POST', url: '/index_ws.php', payload: { key, cf: code(n) } });
        if (answer.statusCode !== 200) break;
      }
      assert.equal(answer!.statusCode, 503, answer!.body);
      assert.equal(answer!.body, 'Error|Errore interno, riprovare più tardi');
      const failures = lines.map((l) => JSON.parse(l)).filter((l) => l.level >= 50);
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].err.code, 'SQLITE_FULL', JSON.stringify(failures[0]));
      assert.ok(!lines.some((l) => l.includes('no transaction is active')), 'the rollback failure no longer masks the cause');
    } finally {
      await app.close();
      await services.close();
    }
  });
});
