import type { Command } from 'commander';
import { storeOptions, withStore } from '../context.ts';
import { resolveAccount } from '../../accounts/accounts.ts';
import { addApiKey, apiKeyAccountId, listApiKeys, revokeApiKey } from '../../accounts/api-keys.ts';
import { systemClock } from '../../clock.ts';
import { CLI_ACTOR } from '../../audit/record-audit.ts';

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('API keys of an account');

  storeOptions(keys.command('add <account>').description('create a key; prints it alone on the last line (shown only once)'))
    .option('--label <text>', 'a name for the key')
    .action(async (idOrName: string, opts) => {
      await withStore(opts, async (store) => {
        const account = await resolveAccount(store, idOrName);
        const key = await addApiKey(store, account.id, systemClock.now(), { label: opts.label, audit: CLI_ACTOR });
        console.log(`key ${key.id} for ${account.name} (shown only now; store it safely):`);
        console.log(key.key);
      });
    });

  storeOptions(keys.command('list <account>').description('the keys of an account (prefixes only)')).action(async (idOrName: string, opts) => {
    await withStore(opts, async (store) => {
      const account = await resolveAccount(store, idOrName);
      const rows = await listApiKeys(store.db, account.id);
      for (const k of rows) {
        console.log(
          [k.id, `${k.key_prefix}...`, k.label ?? '', k.revoked_at ? `revoked ${new Date(Number(k.revoked_at)).toISOString()}` : 'active'].join('\t'),
        );
      }
    });
  });

  storeOptions(keys.command('revoke <key-id>').description('revoke a key at once')).action(async (keyId: string, opts) => {
    await withStore(opts, async (store) => {
      await revokeApiKey(store, { accountId: await apiKeyAccountId(store.db, keyId), keyId }, systemClock.now(), CLI_ACTOR);
      console.log(`key ${keyId} revoked`);
    });
  });
}
