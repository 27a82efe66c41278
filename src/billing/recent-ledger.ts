import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { toLedgerRow, type LedgerRow } from './ledger.ts';

/**
 * The newest `limit` ledger rows, newest first, each with the balance right after it: counted
 * back from the sum of every row up to the newest one shown, so it is right however long the
 * ledger is (listLedger counts forward from the first row and so needs them all), and a row
 * added meanwhile changes nothing shown.
 */
export async function recentLedger(db: Kysely<Database>, accountId: string, limit = 100): Promise<LedgerRow[]> {
  const rows = await db
    .selectFrom('ledger')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  if (rows.length === 0) return [];
  const newest = rows[0];
  const { total } = await db
    .selectFrom('ledger')
    .select(sql<number>`coalesce(sum(amount_cents), 0)`.as('total'))
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('created_at', '<', newest.created_at), eb.and([eb('created_at', '=', newest.created_at), eb('id', '<=', newest.id)])]))
    .executeTakeFirstOrThrow();
  let running = Number(total);
  return rows.map((r) => {
    const row = toLedgerRow(r, running);
    running -= row.amountCents;
    return row;
  });
}
