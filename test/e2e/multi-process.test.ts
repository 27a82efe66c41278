import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { cliOk, IPA_SAMPLE, ipaSamplePecs, killAllChildren, lastLine, startServerProcess, wsGet, wsPost, type ServerProcess } from '../helpers/cli.ts';
import { postgresUnavailable, TEST_DATABASE_URL } from '../helpers/stores.ts';
import { openStore } from '../../src/store/store.ts';
import { cf11CheckDigit } from '../../src/taxid/index.ts';

/**
 * Scale-out on PostgreSQL: 2 API processes and 3 worker processes on one database, 10,000
 * submissions spread over both APIs, one worker killed with SIGKILL in the middle. Every token
 * must be answered exactly once and charged exactly once.
 */
const TOTAL = 10_000;
const PRICE = 3;
const CONCURRENCY = 32;
const pgSkip = await postgresUnavailable();
if (pgSkip) console.log(`# multi-process: ${pgSkip}`);

after(killAllChildren);

function codes(): string[] {
  const sample = [...ipaSamplePecs().keys()];
  const out = new Set(sample);
  for (let n = 1; out.size < TOTAL; n++) {
    const first10 = String(n).padStart(7, '0') + '001';
    out.add(`${first10}${cf11CheckDigit(first10)}`);
  }
  return [...out];
}

describe('multi-process on PostgreSQL', { skip: pgSkip ?? false }, () => {
  test('2 APIs + 3 workers, 10,000 submissions, a worker SIGKILLed: every token answered and charged once', { timeout: 600_000 }, async () => {
    const schema = `mp_${randomBytes(5).toString('hex')}`;
    const db = ['--database', TEST_DATABASE_URL, '--schema', schema];
    const env = {
      CERCAPEC_DATABASE_URL: TEST_DATABASE_URL,
      CERCAPEC_DATABASE_SCHEMA: schema,
      CERCAPEC_RATE_LIMIT_PER_KEY: '0',
      CERCAPEC_RATE_LIMIT_PER_IP: '0',
      CERCAPEC_LEASE_MS: '2000',
      CERCAPEC_WORKER_CONCURRENCY: '4',
      CERCAPEC_DATABASE_POOL_SIZE: '6',
    };
    const processes: ServerProcess[] = [];
    try {
      await cliOk(['migrate', ...db]);
      const key = lastLine((await cliOk(['accounts', 'add', '--name', 'studio', '--billing', 'postpaid', '--price-cents', String(PRICE), ...db])).stdout);
      await cliOk(['import', IPA_SAMPLE, '--format', 'ipa-enti', ...db]);

      const start = (role: string) => startServerProcess({ dataDir: '/nonexistent-unused', env: { ...env, CERCAPEC_ROLE: role } });
      const apis = await Promise.all([start('api'), start('api')]);
      const workers = await Promise.all([start('worker'), start('worker'), start('worker')]);
      processes.push(...apis, ...workers);

      const all = codes();
      const tokens = new Map<string, string>();
      let next = 0;
      let killed = false;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, lane) => {
          while (next < all.length) {
            const i = next++;
            const line = await wsPost(apis[i % 2].url, { key, cf: all[i] });
            assert.match(line, /^OK\|[A-Za-z0-9_-]{24}$/, `submission ${i} on api ${i % 2}`);
            tokens.set(all[i], line.slice(3));
            if (!killed && tokens.size >= TOTAL * 0.3 && lane === 0) {
              killed = true;
              const { signal } = await workers[0].kill('SIGKILL');
              assert.equal(signal, 'SIGKILL');
            }
          }
        }),
      );
      assert.ok(killed);
      assert.equal(tokens.size, TOTAL);

      // The protocol session crosses processes: submitted on one API, polled on the other.
      const sample = ipaSamplePecs();
      const deadline = Date.now() + 240_000;
      let pending = [...tokens.entries()];
      let round = 0;
      while (pending.length > 0) {
        assert.ok(Date.now() < deadline, `${pending.length} tokens still WAIT`);
        const still: [string, string][] = [];
        for (let i = 0; i < pending.length; i += CONCURRENCY) {
          const slice = pending.slice(i, i + CONCURRENCY);
          const lines = await Promise.all(slice.map(([, token], j) => wsGet(apis[(i + j + round + 1) % 2].url, { key, token })));
          lines.forEach((line, j) => {
            const [code, token] = slice[j];
            if (line === `WAIT|${token}`) {
              still.push(slice[j]);
              return;
            }
            const expected = sample.get(code);
            assert.equal(line, expected ? `OK|${expected[0]}|pec trovata` : 'OK||pec non trovata', code);
          });
        }
        pending = still;
        round++;
        if (pending.length) await new Promise((r) => setTimeout(r, 250));
      }

      const store = await openStore({ databaseUrl: TEST_DATABASE_URL, dataDir: '', schema, migrate: false });
      try {
        const count = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(store.db)).rows[0].n);
        assert.equal(await count(sql`select count(*) as n from requests`), TOTAL);
        assert.equal(await count(sql`select count(*) as n from requests where status in ('found','not_found') and answered_at is not null`), TOTAL);
        assert.equal(await count(sql`select count(*) as n from ledger where kind = 'charge'`), TOTAL);
        assert.equal(await count(sql`select count(distinct request_id) as n from ledger where kind = 'charge'`), TOTAL);
        assert.equal(await count(sql`select count(*) as n from ledger where kind = 'refund'`), 0);
        assert.equal(await count(sql`select coalesce(sum(amount_cents), 0) as n from ledger`), -PRICE * TOTAL);
        assert.equal(await count(sql`select count(*) as n from jobs`), 0);
        // Answered exactly once: one definite attempt per request, however many workers touched it.
        assert.equal(
          await count(
            sql`select count(*) as n from (select request_id from attempts where outcome in ('found','not_found') group by request_id having count(*) <> 1) x`,
          ),
          0,
        );
        assert.equal(await count(sql`select count(distinct request_id) as n from request_addresses`), sample.size);
      } finally {
        await store.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await store.close();
      }
    } finally {
      await Promise.all(processes.map((p) => p.stop(5000)));
    }
  });
});
