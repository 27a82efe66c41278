import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { BillingMode } from '../billing/billing-mode.ts';
import { LedgerKind } from '../billing/ledger-kind.ts';
import { LookupStatus } from '../lookups/lookup-status.ts';

/** The ledger kinds that are revenue: what the usage statement bills (charges, name searches) less refunds. */
export const REVENUE_KINDS = [LedgerKind.charge, LedgerKind.refund, LedgerKind.search] as const;

export interface AccountActivity {
  accountId: string;
  name: string;
  billingMode: BillingMode;
  /** Requests accepted in the period, whatever their state now. */
  requests: number;
  found: number;
  notFound: number;
  cancelled: number;
  /** Charges and searches less refunds in the period (cents): positive when the account paid. */
  revenueCents: number;
}

/**
 * Per account with requests or ledger revenue in [since, until): requests by outcome and
 * revenue, the highest revenue first (then most requests, then name, then id). Two grouped
 * reads, by the requests_created and ledger_created indexes: one row per active account each.
 */
export async function accountActivity(db: Kysely<Database>, since: number, until: number): Promise<AccountActivity[]> {
  const count = (status: LookupStatus) => sql<number>`sum(case when status = ${status} then 1 else 0 end)`;
  const [requests, money] = await Promise.all([
    db
      .selectFrom('requests')
      .select([
        'account_id',
        sql<number>`count(*)`.as('n'),
        count(LookupStatus.found).as('found'),
        count(LookupStatus.notFound).as('not_found'),
        count(LookupStatus.cancelled).as('cancelled'),
      ])
      .where('created_at', '>=', since)
      .where('created_at', '<', until)
      .groupBy('account_id')
      .execute(),
    db
      .selectFrom('ledger')
      .select(['account_id', sql<number>`sum(amount_cents)`.as('total')])
      .where('kind', 'in', REVENUE_KINDS)
      .where('created_at', '>=', since)
      .where('created_at', '<', until)
      .groupBy('account_id')
      .execute(),
  ]);
  const byId = new Map<string, Omit<AccountActivity, 'name' | 'billingMode'>>();
  const entry = (accountId: string) => {
    let e = byId.get(accountId);
    if (!e) byId.set(accountId, (e = { accountId, requests: 0, found: 0, notFound: 0, cancelled: 0, revenueCents: 0 }));
    return e;
  };
  for (const r of requests) {
    Object.assign(entry(r.account_id), { requests: Number(r.n), found: Number(r.found), notFound: Number(r.not_found), cancelled: Number(r.cancelled) });
  }
  // Charges are negative in the ledger, refunds positive: revenue is the opposite of their sum.
  for (const m of money) entry(m.account_id).revenueCents = -Number(m.total);
  if (byId.size === 0) return [];
  const accounts = await accountsByIds(db, [...byId.keys()]);
  return [...byId.values()]
    .map((e) => ({ ...e, name: accounts.get(e.accountId)?.name ?? e.accountId, billingMode: accounts.get(e.accountId)?.billing_mode ?? 'prepaid' }))
    .sort((a, b) => b.revenueCents - a.revenueCents || b.requests - a.requests || a.name.localeCompare(b.name) || a.accountId.localeCompare(b.accountId));
}

/** Names and billing modes, 500 ids a query (both dialects' parameter limits are far above). */
async function accountsByIds(db: Kysely<Database>, ids: string[]) {
  const found = new Map<string, { name: string; billing_mode: BillingMode }>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('accounts')
      .select(['id', 'name', 'billing_mode'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) found.set(r.id, r);
  }
  return found;
}

/** The sum of every column, for the table's totals row. */
export function activityTotals(rows: readonly AccountActivity[]): Omit<AccountActivity, 'accountId' | 'name' | 'billingMode'> {
  const total = { requests: 0, found: 0, notFound: 0, cancelled: 0, revenueCents: 0 };
  for (const r of rows) {
    total.requests += r.requests;
    total.found += r.found;
    total.notFound += r.notFound;
    total.cancelled += r.cancelled;
    total.revenueCents += r.revenueCents;
  }
  return total;
}
