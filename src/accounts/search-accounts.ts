import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../store/schema.ts';
import { normalizeAccount, type Account } from './api-keys.ts';

export interface AccountListRow extends Account {
  balanceCents: number;
  activeKeys: number;
}

export interface AccountPage {
  rows: AccountListRow[];
  /** How many accounts match in all: the page says "1-50 of 130", never stops silently. */
  total: number;
}

/**
 * `%` and `_` typed in a search are characters, not LIKE wildcards ("100%" finds "100% Srl",
 * not every name with "100"); `\` escapes them, declared with ESCAPE (SQLite has no default).
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function matching(q: string) {
  return (eb: ExpressionBuilder<Database, 'accounts'>): Expression<SqlBool> =>
    eb.or([
      eb('accounts.id', '=', q),
      sql<SqlBool>`lower(accounts.name) like ${`%${escapeLike(q.toLowerCase())}%`} escape '\\'`,
      eb.exists(
        eb.selectFrom('api_keys').select('api_keys.id').whereRef('api_keys.account_id', '=', 'accounts.id').where('api_keys.key_prefix', '=', q.slice(0, 7)),
      ),
    ]);
}

/**
 * Accounts whose name contains `query` (any case), or whose id or one of whose key prefixes is
 * `query`; all when it is empty. Balances and key counts come from the same statement.
 * Ordered by name then id, `limit` from `offset`.
 */
export async function searchAccounts(db: Kysely<Database>, query: string, limit = 200, offset = 0): Promise<AccountListRow[]> {
  const q = query.trim();
  let select = db
    .selectFrom('accounts')
    .selectAll('accounts')
    .select([sql<number>`(select count(*) from api_keys where api_keys.account_id = accounts.id and api_keys.revoked_at is null)`.as('active_keys')]);
  if (q) select = select.where(matching(q));
  const rows = await select.orderBy('accounts.name').orderBy('accounts.id').limit(limit).offset(offset).execute();
  return rows.map(({ active_keys, ...row }) => ({ ...normalizeAccount(row), balanceCents: Number(row.balance_cents), activeKeys: Number(active_keys) }));
}

/** One page of searchAccounts with the number of matches in all. */
export async function searchAccountPage(db: Kysely<Database>, query: string, limit: number, offset: number): Promise<AccountPage> {
  const q = query.trim();
  let count = db.selectFrom('accounts').select((eb) => eb.fn.countAll().as('n'));
  if (q) count = count.where(matching(q));
  const [rows, total] = await Promise.all([searchAccounts(db, q, limit, offset), count.executeTakeFirstOrThrow()]);
  return { rows, total: Number(total.n) };
}
