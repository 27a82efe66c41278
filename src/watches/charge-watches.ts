import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';
import { appendLedgerRows } from '../billing/ledger.ts';
import { monthOf, watchChargeReason } from './month.ts';
import { LedgerKind } from '../billing/ledger-kind.ts';

const HOUR = 3_600_000;

/**
 * Charges every watch not yet charged for the current calendar month (UTC): one ledger row per
 * code, and billed_month moved in the same transaction, so a second run charges nothing. A
 * prepaid balance may go below zero here (the watch runs on); it then refuses new watches.
 */
export async function chargeWatchMonth(trx: Transaction<Database>, now: number, chunk = 1000): Promise<{ charged: number; cents: number }> {
  const month = monthOf(now);
  let charged = 0;
  let cents = 0;
  for (;;) {
    const due = await trx
      .selectFrom('watches')
      .innerJoin('accounts', 'accounts.id', 'watches.account_id')
      .select(['watches.account_id', 'watches.code', 'accounts.watch_price_cents'])
      .where('accounts.watch_price_cents', '>', 0)
      .where((eb) => eb.or([eb('watches.billed_month', 'is', null), eb('watches.billed_month', '<', month)]))
      .orderBy('watches.account_id')
      .orderBy('watches.code')
      .limit(chunk)
      .execute();
    if (due.length === 0) break;
    await appendLedgerRows(
      trx,
      due.map((w) => ({ accountId: w.account_id, amountCents: -Number(w.watch_price_cents), kind: LedgerKind.charge, reason: watchChargeReason(month), now })),
    );
    for (const accountId of new Set(due.map((w) => w.account_id))) {
      await trx
        .updateTable('watches')
        .set({ billed_month: month })
        .where('account_id', '=', accountId)
        .where(
          'code',
          'in',
          due.filter((w) => w.account_id === accountId).map((w) => w.code),
        )
        .execute();
    }
    charged += due.length;
    cents += due.reduce((sum, w) => sum + Number(w.watch_price_cents), 0);
    if (due.length < chunk) break;
  }
  return { charged, cents };
}

export function chargeWatchesTask(): MaintenanceTask {
  return { name: 'charge-watches', everyMs: HOUR, run: async (trx, now) => ({ ...(await chargeWatchMonth(trx, now)) }) };
}
