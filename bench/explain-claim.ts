// Prints the plan of the queue's claim statement with N jobs queued (default 100,000), on SQLite
// and, when a server answers, PostgreSQL: `node --import tsx bench/explain-claim.ts 100000`.
// Both plans should walk jobs_ready in run_at order and stop at the limit, whatever N is.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/store.ts';
import { addJobs } from '../src/queue/add-job.ts';
import { claimStatement } from '../src/queue/claim-jobs.ts';

const N = Number(process.argv[2] ?? 100_000);
const PG_URL = process.env.CERCAPEC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function explain(store: Store): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < N; i += 5000)
    await addJobs(
      store.db,
      Array.from({ length: Math.min(5000, N - i) }, () => ({ queue: 'bench', payload: {}, now })),
    );
  const q = claimStatement(store, { queue: 'bench', workerId: 'w', limit: 500, leaseMs: 30_000, now }).compile();
  const postgres = store.dialect.name === 'postgres';
  if (postgres) await sql`analyze jobs`.execute(store.db);
  const plan = await store.db.executeQuery<Record<string, string>>({ ...q, sql: `${postgres ? 'explain (analyze, buffers)' : 'explain query plan'} ${q.sql}` });
  console.log(`## ${store.dialect.name}, ${N} queued\n${plan.rows.map((r) => r['QUERY PLAN'] ?? r.detail).join('\n')}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'cercapec-explain-'));
const sqlite = await openStore({ dataDir: dir });
await explain(sqlite);
await sqlite.close();
rmSync(dir, { recursive: true, force: true });
const schema = `explain_${randomBytes(4).toString('hex')}`;
const pg = await openStore({ databaseUrl: PG_URL, dataDir: '', schema }).catch(() => null);
if (pg) {
  try {
    await explain(pg);
  } finally {
    await pg.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await pg.close();
  }
} else console.log(`PostgreSQL skipped: no server at ${PG_URL}`);
