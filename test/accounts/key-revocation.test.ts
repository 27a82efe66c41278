import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { eachDialect, openTestStore, TEST_DATABASE_URL, type TestStore } from '../helpers/stores.ts';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createServices, type Services } from '../../src/services.ts';
import { buildApp } from '../../src/app.ts';
import { createAccount } from '../../src/accounts/accounts.ts';
import { revokeApiKey } from '../../src/accounts/api-keys.ts';
import { updateAccount } from '../../src/accounts/update-account.ts';
import { openStore } from '../../src/store/store.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { FastifyInstance } from 'fastify';

/**
 * The key cache is on by default (CERCAPEC_KEY_CACHE_MS 60 s) and still exact: a revoked key,
 * a disabled account or a new price apply to the next request, here and, on PostgreSQL, in
 * another process (a second set of services on the same schema, woken by NOTIFY).
 */
await eachDialect(describe, 'key cache stays exact', (dialect) => {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.reverse()) await close();
    opened.length = 0;
  });

  async function serve(store: TestStore | Awaited<ReturnType<typeof openStore>>, schema?: string): Promise<{ app: FastifyInstance; services: Services }> {
    const config = loadConfig(
      {
        rateLimitPerKey: 0,
        rateLimitPerIp: 0,
        authFailuresPerMinute: 0,
        logLevel: 'silent',
        inlineAnswers: false,
        ...(schema ? { databaseUrl: TEST_DATABASE_URL, databaseSchema: schema } : {}),
      },
      {},
    );
    assert.ok(config.keyCacheMs > 0, 'the cache is on by default');
    const services = await createServices(config, { clock: new ManualClock(), store, logger: pino({ level: 'silent' }) });
    const app = await buildApp(services);
    opened.push(async () => {
      await app.close();
      await services.close();
    });
    return { app, services };
  }

  const saldo = (app: FastifyInstance, key: string) =>
    app
      .inject({ method: 'POST', url: '/index_ws.php', payload: `key=${key}&saldo=`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      .then((r) => r.body);

  const submit = (app: FastifyInstance, key: string, code: string) =>
    app
      .inject({ method: 'POST', url: '/index_ws.php', payload: `key=${key}&cf=${code}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      .then((r) => r.body.slice('OK|'.length));
  const poll = (app: FastifyInstance, key: string, token: string) =>
    app.inject({ method: 'GET', url: `/index_ws.php?key=${encodeURIComponent(key)}&token=${token}` }).then((r) => r.body);
  const pollRefused = 'ERROR|Chiave non valida o disabilitata';

  // A poll whose key is cached reads the auth epoch with the request (findPollStateWithEpoch),
  // not before it: these hold it to the same rule.
  test('a poll with a cached key is refused on the next request after a revocation, a disabled account, a change of terms', async () => {
    const store = await openTestStore(dialect);
    opened.push(() => store.destroy());
    const { app } = await serve(store, store.schema === 'public' ? undefined : store.schema);
    const a = await createAccount(store, 1, { name: 'a', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 });
    const b = await createAccount(store, 1, { name: 'b', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 });
    const tokenA = await submit(app, a.key.key, '00743110157');
    const tokenB = await submit(app, b.key.key, '00743110157');
    assert.equal(await poll(app, a.key.key, tokenA), `WAIT|${tokenA}`);
    assert.equal(await poll(app, a.key.key, tokenA), `WAIT|${tokenA}`, 'from the cached key');
    assert.equal(await poll(app, a.key.key, tokenB), 'ERROR|Token sconosciuto', "another account's token is unknown, cached key or not");
    await revokeApiKey(store, { accountId: a.account.id, keyId: a.key.id }, 2);
    assert.equal(await poll(app, a.key.key, tokenA), pollRefused);
    assert.equal(await poll(app, b.key.key, tokenB), `WAIT|${tokenB}`);
    await updateAccount(store, b.account.id, 3, { priceCents: 20 });
    assert.equal(await poll(app, b.key.key, tokenB), `WAIT|${tokenB}`, 'a change of terms moves the epoch; the key is looked up again, still good');
    await updateAccount(store, b.account.id, 4, { status: 'disabled' });
    assert.equal(await poll(app, b.key.key, tokenB), pollRefused);
  });

  test('a key revoked under load is refused on the next request; a disabled account too', async () => {
    const store = await openTestStore(dialect);
    opened.push(() => store.destroy());
    const { app } = await serve(store, store.schema === 'public' ? undefined : store.schema);
    const { account, key } = await createAccount(store, 1, { name: 'a', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 });
    const other = await createAccount(store, 1, { name: 'b', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 });
    // Load: polls keep both keys hot in the cache while the revocation happens.
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) await saldo(app, other.key.key);
      }),
    );
    assert.equal(await saldo(app, key.key), '5.00');
    assert.equal(await saldo(app, key.key), '5.00');
    await revokeApiKey(store, { accountId: account.id, keyId: key.id }, 2);
    assert.equal(await saldo(app, key.key), 'Error|Chiave non valida o disabilitata');
    await updateAccount(store, other.account.id, 3, { status: 'disabled' });
    assert.equal(await saldo(app, other.key.key), 'Error|Chiave non valida o disabilitata');
    stop = true;
    await load;
  });

  test('a change made by another process reaches this one', async () => {
    const dir = await tempDataDir();
    const store = await openTestStore(dialect, dir);
    opened.push(() => store.destroy());
    const { app } = await serve(store, dialect === 'postgres' ? store.schema : undefined);
    const { account, key } = await createAccount(store, 1, { name: 'a', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 500 });
    assert.equal(await saldo(app, key.key), '5.00');
    const token = await submit(app, key.key, '00743110157');
    assert.equal(await poll(app, key.key, token), `WAIT|${token}`);
    assert.equal(await poll(app, key.key, token), `WAIT|${token}`, 'from the cached key');
    // Another process: its own store (own connections) on the same data.
    const elsewhere =
      dialect === 'sqlite' ? await openStore({ dataDir: dir }) : await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema: store.schema });
    opened.push(() => elsewhere.close());
    await revokeApiKey(elsewhere, { accountId: account.id, keyId: key.id }, 2);
    // SQLite reads the epoch at each request: the very next one is refused. PostgreSQL hears
    // the NOTIFY a moment after the commit.
    const refused = 'Error|Chiave non valida o disabilitata';
    if (dialect === 'sqlite') {
      assert.equal(await poll(app, key.key, token), pollRefused, 'the poll read saw the epoch the other store moved');
      assert.equal(await saldo(app, key.key), refused);
    } else
      await waitFor(
        () => saldo(app, key.key),
        (line) => line === refused,
        'the revocation to reach the other process',
      );
  });
});

async function tempDataDir(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  return mkdtemp(join(tmpdir(), 'cercapec-keycache-'));
}
