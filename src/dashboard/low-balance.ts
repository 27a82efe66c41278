import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { AccountStatus } from '../accounts/account-status.ts';
import { BillingMode } from '../billing/billing-mode.ts';
import { REVENUE_KINDS } from './account-activity.ts';

export const DAY_MS = 86_400_000;
/** The average daily spend is taken over this many days (fewer for a younger account). */
export const SPEND_WINDOW_DAYS = 30;

export interface LowBalance {
  accountId: string;
  name: string;
  balanceCents: number;
  /** Charges and searches less refunds over the last 30 days (or the account's life, if shorter), per day. */
  dailySpendCents: number;
  /** Whole days the balance lasts at that spend: 0 when nothing is left, null when nothing was spent. */
  daysLeft: number | null;
}

/**
 * Active prepaid accounts whose balance is below `belowCents`, lowest balance first, at most
 * `limit` (and how many there are). The balance is the stored column (one row per account, no
 * ledger sum); the spend is summed from the ledger only for the accounts listed, by its
 * (account_id, created_at) index.
 */
export async function lowBalanceAccounts(
  db: Kysely<Database>,
  o: { belowCents: number; now: number; limit: number },
): Promise<{ total: number; accounts: LowBalance[] }> {
  const low = db
    .selectFrom('accounts')
    .where('billing_mode', '=', BillingMode.prepaid)
    .where('status', '=', AccountStatus.active)
    .where('balance_cents', '<', o.belowCents);
  const [count, rows] = await Promise.all([
    low.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    low.select(['id', 'name', 'balance_cents', 'created_at']).orderBy('balance_cents').orderBy('id').limit(o.limit).execute(),
  ]);
  if (rows.length === 0) return { total: Number(count.n), accounts: [] };
  const windowStart = o.now - SPEND_WINDOW_DAYS * DAY_MS;
  const spent = await db
    .selectFrom('ledger')
    .select(['account_id', sql<number>`sum(amount_cents)`.as('total')])
    .where(
      'account_id',
      'in',
      rows.map((r) => r.id),
    )
    .where('kind', 'in', REVENUE_KINDS)
    .where('created_at', '>=', windowStart)
    .where('created_at', '<=', o.now)
    .groupBy('account_id')
    .execute();
  const spentBy = new Map(spent.map((s) => [s.account_id, -Number(s.total)]));
  const accounts = rows.map((r) => {
    const balanceCents = Number(r.balance_cents);
    const days = Math.min(SPEND_WINDOW_DAYS, Math.max(1, (o.now - Number(r.created_at)) / DAY_MS));
    const dailySpendCents = Math.max(0, (spentBy.get(r.id) ?? 0) / days);
    const daysLeft = balanceCents <= 0 ? 0 : dailySpendCents > 0 ? Math.floor(balanceCents / dailySpendCents) : null;
    return { accountId: r.id, name: r.name, balanceCents, dailySpendCents: Math.round(dailySpendCents), daysLeft };
  });
  return { total: Number(count.n), accounts };
}
