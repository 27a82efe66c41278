import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-json-api.ts';
import * as m0003 from './migrations/0003-batches.ts';
import * as m0004 from './migrations/0004-webhooks.ts';
import * as m0005 from './migrations/0005-registries.ts';
import * as m0006 from './migrations/0006-backoffice.ts';
import * as m0007 from './migrations/0007-account-balance.ts';
import * as m0007b from './migrations/0007-auth-epoch.ts';
import * as m0008 from './migrations/0008-queue-indexes.ts';
import * as m0009 from './migrations/0009-login-throttle.ts';
import * as m0010 from './migrations/0010-batch-idempotency.ts';
import * as m0012 from './migrations/0012-history.ts';
import * as m0013 from './migrations/0013-watches.ts';
import * as m0011search from './migrations/0011-search.ts';
import * as m0014 from './migrations/0014-customer-users.ts';
import * as m0015flash from './migrations/0015-backoffice-flash.ts';
import * as m0019dashboard from './migrations/0019-dashboard-indexes.ts';
import * as m0016billing from './migrations/0016-billing-details.ts';
import * as m0018 from './migrations/0018-batch-settling.ts';
import * as m0020searchRank from './migrations/0020-search-rank.ts';
import * as m0021totp from './migrations/0021-totp.ts';
import * as m0022batchRows from './migrations/0022-batch-rows-indexes.ts';
import * as m0024requestsBatchPartial from './migrations/0024-pgsub10-requests-batch-partial.ts';

/** Migrations are imported, not read from a folder, so they work the same under tsx and bundlers. */
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-json-api': m0002,
  '0003-batches': m0003,
  '0004-webhooks': m0004,
  '0005-registries': m0005,
  '0006-backoffice': m0006,
  '0007-account-balance': m0007,
  '0007-auth-epoch': m0007b,
  '0008-queue-indexes': m0008,
  '0009-login-throttle': m0009,
  '0010-batch-idempotency': m0010,
  '0012-history': m0012,
  '0013-watches': m0013,
  '0011-search': m0011search,
  '0014-customer-users': m0014,
  '0015-backoffice-flash': m0015flash,
  '0019-dashboard-indexes': m0019dashboard,
  '0016-billing-details': m0016billing,
  '0018-batch-settling': m0018,
  '0020-search-rank': m0020searchRank,
  '0021-totp': m0021totp,
  '0022-batch-rows-indexes': m0022batchRows,
  '0024-pgsub10-requests-batch-partial': m0024requestsBatchPartial,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The names of the migrations this version knows, in the order they apply (restore checks a file against them). */
export function knownMigrations(): string[] {
  return Object.keys(migrations).sort();
}

/**
 * `schema` (PostgreSQL): keep Kysely's own migration tables in that schema too. Without it the
 * migrator looks for them in every schema of the database and fails when another installation
 * (or another test) in the same database has them.
 */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
