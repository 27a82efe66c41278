import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { LedgerKind } from './ledger-kind.ts';

/**
 * The sum of an account's charges and refunds created in [from, to) (epoch ms), in cents:
 * negative when more was charged than refunded. Searches are not lookups and are left out.
 */
export async function chargesBetween(db: Kysely<Database>, accountId: string, from: number, to: number): Promise<number> {
  const money = await db
    .selectFrom('ledger')
    .select(sql<number>`coalesce(sum(amount_cents), 0)`.as('total'))
    .where('account_id', '=', accountId)
    .where('kind', 'in', [LedgerKind.charge, LedgerKind.refund])
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .executeTakeFirstOrThrow();
  return Number(money.total);
}
