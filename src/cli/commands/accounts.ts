import type { Command } from 'commander';
import { parseCents, storeOptions, UsageError, withStore } from '../context.ts';
import { createAccount, listAccounts, resolveAccount, topUp } from '../../accounts/accounts.ts';
import { updateAccount } from '../../accounts/update-account.ts';
import { formatEuro } from '../../resources/money.ts';
import { listLedger } from '../../billing/ledger.ts';
import { systemClock } from '../../clock.ts';
import { CLI_ACTOR } from '../../audit/record-audit.ts';
import { BILLING_MODES } from '../../billing/billing-mode.ts';

export function accountsCommand(program: Command): void {
  const accounts = program.command('accounts').description('customer accounts and their credit');

  storeOptions(accounts.command('add').description('create an account; prints its first API key alone on the last line'))
    .requiredOption('--name <name>', 'account name')
    .requiredOption('--billing <mode>', 'prepaid or postpaid')
    .requiredOption('--price-cents <cents>', 'price of one request in cents')
    .option('--credit-cents <cents>', 'opening credit in cents, booked as a top-up')
    .option('--credit-limit-cents <cents>', 'how far below zero the balance may go (postpaid: unlimited when absent)')
    .option('--reference <text>', "default purpose of the requests (INAD's practicalReference)")
    .option('--operator-fallback', 'requests no registry could answer wait for a person (the operator queue)')
    .option('--search-price-cents <cents>', 'price of one name search (GET /v1/search) in cents; free when absent')
    .action(async (opts) => {
      if (!(BILLING_MODES as readonly string[]).includes(opts.billing)) throw new UsageError('--billing must be prepaid or postpaid');
      await withStore(opts, async (store) => {
        const { account, key } = await createAccount(
          store,
          systemClock.now(),
          {
            name: opts.name,
            billingMode: opts.billing,
            priceCents: parseCents(opts.priceCents, '--price-cents'),
            creditLimitCents: opts.creditLimitCents === undefined ? null : parseCents(opts.creditLimitCents, '--credit-limit-cents'),
            initialCreditCents: opts.creditCents === undefined ? 0 : parseCents(opts.creditCents, '--credit-cents'),
            defaultReference: opts.reference ?? null,
            operatorFallback: Boolean(opts.operatorFallback),
            searchPriceCents: opts.searchPriceCents === undefined ? 0 : parseCents(opts.searchPriceCents, '--search-price-cents'),
          },
          { audit: CLI_ACTOR },
        );
        console.log(`account ${account.id} "${account.name}" ${account.billing_mode}, ${account.price_cents} cents per request`);
        console.log(`key ${key.id} (shown only now; store it safely):`);
        console.log(key.key);
      });
    });

  storeOptions(accounts.command('list').description('accounts with balance and active keys'))
    .option('--json', 'machine-readable output')
    .action(async (opts) => {
      await withStore(opts, async (store) => {
        const rows = await listAccounts(store);
        if (opts.json) return console.log(JSON.stringify(rows, null, 2));
        console.log(['id', 'name', 'billing', 'price', 'search price', 'balance', 'limit', 'keys', 'status'].join('\t'));
        for (const a of rows) {
          console.log(
            [
              a.id,
              a.name,
              a.billing_mode,
              a.price_cents,
              a.search_price_cents,
              formatEuro(a.balanceCents),
              a.credit_limit_cents ?? '-',
              a.activeKeys,
              a.status,
            ].join('\t'),
          );
        }
      });
    });

  storeOptions(accounts.command('set <account>').description("change an account's prices (audited); other terms are edited in the back office"))
    .option('--price-cents <cents>', 'price of one request in cents')
    .option('--search-price-cents <cents>', 'price of one name search in cents (0: free)')
    .action(async (idOrName: string, opts) => {
      if (opts.priceCents === undefined && opts.searchPriceCents === undefined)
        throw new UsageError('nothing to change: give --price-cents or --search-price-cents');
      await withStore(opts, async (store) => {
        const account = await resolveAccount(store, idOrName);
        const updated = await updateAccount(
          store,
          account.id,
          systemClock.now(),
          {
            priceCents: opts.priceCents === undefined ? undefined : parseCents(opts.priceCents, '--price-cents'),
            searchPriceCents: opts.searchPriceCents === undefined ? undefined : parseCents(opts.searchPriceCents, '--search-price-cents'),
          },
          CLI_ACTOR,
        );
        console.log(`${updated.name}: ${updated.price_cents} cents per request, ${updated.search_price_cents} cents per name search`);
      });
    });

  storeOptions(accounts.command('topup <account> <cents>').description('add credit (negative cents: an adjustment); prints the new balance'))
    .option('--reason <text>', 'why, for the ledger')
    .action(async (idOrName: string, cents: string, opts) => {
      await withStore(opts, async (store) => {
        const account = await resolveAccount(store, idOrName);
        const balance = await topUp(store, account.id, parseCents(cents, 'cents'), systemClock.now(), opts.reason, CLI_ACTOR);
        console.log(`${account.name}: saldo ${formatEuro(balance)}`);
      });
    });

  storeOptions(
    accounts
      .command('prices <account>')
      .description('prices of watches (per code and month) and verifications; "none": free watches, verifications at the lookup price'),
  )
    .option('--watch-price-cents <cents>', 'monthly price of one watched code, or none')
    .option('--verification-price-cents <cents>', 'price of one verification, or none')
    .action(async (idOrName: string, opts) => {
      const price = (value: string | undefined, flag: string) => (value === undefined ? undefined : value === 'none' ? null : parseCents(value, flag));
      await withStore(opts, async (store) => {
        const account = await resolveAccount(store, idOrName);
        const updated = await updateAccount(
          store,
          account.id,
          systemClock.now(),
          {
            watchPriceCents: price(opts.watchPriceCents, '--watch-price-cents'),
            verificationPriceCents: price(opts.verificationPriceCents, '--verification-price-cents'),
          },
          CLI_ACTOR,
        );
        console.log(
          `${updated.name}: watch ${updated.watch_price_cents === null ? 'free' : `${updated.watch_price_cents} cents`} per code and month, verification ${updated.verification_price_cents ?? `${updated.price_cents} (lookup price)`} cents`,
        );
      });
    });

  storeOptions(accounts.command('ledger <account>').description('the ledger with a running balance')).action(async (idOrName: string, opts) => {
    await withStore(opts, async (store) => {
      const account = await resolveAccount(store, idOrName);
      for (const row of await listLedger(store.db, account.id)) {
        console.log(
          [
            new Date(row.createdAt).toISOString(),
            row.kind,
            formatEuro(row.amountCents),
            formatEuro(row.runningBalanceCents),
            row.requestId ?? '',
            row.reason ?? '',
          ].join('\t'),
        );
      }
    });
  });
}
