import { sql, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { channelName } from '../store/channels.ts';

/**
 * Records, inside the transaction that changes who may use a key (a key revoked, an account
 * disabled, its price or terms changed), that cached key -> account answers are stale: the auth
 * epoch moves, and on PostgreSQL every process hears it when the transaction commits. Call
 * authChangeCommitted after the commit, so this process forgets at once too.
 */
export async function recordAuthChange(trx: Transaction<Database>, store: Store): Promise<void> {
  await trx.updateTable('auth_epoch').set({ epoch: sql`epoch + 1` }).where('id', '=', 1).execute();
  await store.dialect.notifyOnCommit(trx, channelName('auth', store.schema), '');
}

export function authChangeCommitted(store: Store): void {
  store.authEpoch.bump();
}
