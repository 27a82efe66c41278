import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownMigrations } from '../../src/store/migrate.ts';

/**
 * The migrations an installed release may already have applied: every name up to the last stop
 * that landed on main. Kysely (allowUnorderedMigrations off) refuses to start when a migration it
 * has not applied sorts before one it has, so a new migration must sort after all of these. In
 * session 8 a migration named 0017-totp, a number "held free", reached the merge after 0018-0020
 * had shipped: an upgraded installation would not have started. Add each new migration here
 * once it has shipped.
 */
const SHIPPED = [
  '0001-initial',
  '0002-json-api',
  '0003-batches',
  '0004-webhooks',
  '0005-registries',
  '0006-backoffice',
  '0007-account-balance',
  '0007-auth-epoch',
  '0008-queue-indexes',
  '0009-login-throttle',
  '0010-batch-idempotency',
  '0011-search',
  '0012-history',
  '0013-watches',
  '0014-customer-users',
  '0015-backoffice-flash',
  '0016-billing-details',
  '0018-batch-settling',
  '0019-dashboard-indexes',
  '0020-search-rank',
  '0021-totp',
  '0022-batch-rows-indexes',
];

test('every shipped migration is still known, under the same name', () => {
  const known = new Set(knownMigrations());
  for (const name of SHIPPED) assert.ok(known.has(name), `${name} shipped and must stay (an installation has it applied)`);
});

test('every migration that has not shipped sorts after the last one that has', () => {
  const last = [...SHIPPED].sort().at(-1)!;
  const unshipped = knownMigrations().filter((name) => !SHIPPED.includes(name));
  for (const name of unshipped) assert.ok(name > last, `${name} sorts before ${last}, which installations have applied: Kysely would refuse to migrate them`);
});
