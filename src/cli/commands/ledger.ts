import type { Command } from 'commander';
import { storeOptions, withStore } from '../context.ts';
import { verifyLedger } from '../../billing/verify-ledger.ts';
import { formatEuro } from '../../resources/money.ts';

export function ledgerCommand(program: Command): void {
  const ledger = program.command('ledger').description('the append-only ledger behind every balance');

  storeOptions(
    ledger
      .command('verify')
      .description("recompute every account's ledger sum and compare it with its stored balance; exits 1 naming the accounts that differ"),
  ).action(async (opts) => {
    await withStore(opts, async (store) => {
      const { accounts, mismatches } = await verifyLedger(store.db);
      for (const m of mismatches) {
        console.log(`MISMATCH ${m.accountId}\t${m.name}\tstored ${formatEuro(m.storedCents)}\tledger ${formatEuro(m.ledgerCents)}`);
      }
      if (mismatches.length > 0) {
        console.error(`cercapec: ${mismatches.length} of ${accounts} accounts have a stored balance that differs from their ledger`);
        process.exitCode = 1;
        return;
      }
      console.log(`ok: ${accounts} accounts, every stored balance equals its ledger sum`);
    });
  });
}
