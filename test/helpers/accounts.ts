import type { Store } from '../../src/store/store.ts';
export { getAccount } from '../../src/accounts/accounts.ts';

/** Flips an account's status behind every cache's back, as another process would. */
export async function updateAccountStatusForTest(store: Store, id: string, status: 'active' | 'disabled'): Promise<void> {
  await store.db.updateTable('accounts').set({ status }).where('id', '=', id).execute();
}
