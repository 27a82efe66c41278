import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { normalizeAccount, type Account } from './api-keys.ts';

export interface AccountListRow extends Account {
  balanceCents: number;
  activeKeys: number;
}

/**
 * Accounts whose name contains `query` (any case), or whose id or one of whose key prefixes is
 * `query`; all when it is empty. Balances and key counts come from the same statement.
 */
export async function searchAccounts(db: Kysely<Database>, query: string, limit = 200): Promise<AccountListRow[]> {
  const q = query.trim();
  let select = db
    .selectFrom('accounts')
    .selectAll('accounts')
    .select([
      sql<number>`(select count(*) from api_keys where api_keys.account_id = accounts.id and api_keys.revoked_at is null)`.as('active_keys'),
    ]);
  if (q) {
    select = select.where((eb) =>
      eb.or([
        eb('accounts.id', '=', q),
        eb(eb.fn('lower', ['accounts.name']), 'like', eb.val(`%${q.toLowerCase()}%`)),
        eb.exists(eb.selectFrom('api_keys').select('api_keys.id').whereRef('api_keys.account_id', '=', 'accounts.id').where('api_keys.key_prefix', '=', q.slice(0, 7))),
      ]),
    );
  }
  const rows = await select.orderBy('accounts.name').orderBy('accounts.id').limit(limit).execute();
  return rows.map(({ active_keys, ...row }) => ({ ...normalizeAccount(row), balanceCents: Number(row.balance_cents), activeKeys: Number(active_keys) }));
}
