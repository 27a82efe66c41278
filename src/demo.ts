import { fileURLToPath } from 'node:url';
import type { Services } from './services.ts';
import { addApiKey, authenticateKey } from './accounts/api-keys.ts';
import { createAccount } from './accounts/accounts.ts';
import { importDataset } from './directory/import-dataset.ts';

/**
 * The demo key is public on purpose (README, start-up banner): `npm start` must let a newcomer
 * curl a real answer at once. It is stored hashed like any key, only in the demo data folder.
 */
export const DEMO_KEY = 'cp_demo_chiave_di_prova_pubblica';
export const DEMO_DATASET = 'ipa-enti-demo';
const SAMPLE = fileURLToPath(new URL('../demo/enti-sample-comuni.csv', import.meta.url));

export async function ensureDemo(services: Services): Promise<{ accountCreated: boolean; imported: boolean }> {
  const { store, clock } = services;
  let accountCreated = false;
  if (!(await authenticateKey(store, DEMO_KEY))) {
    const existing = await store.db.selectFrom('accounts').select('id').where('name', '=', 'demo').executeTakeFirst();
    if (existing) await addApiKey(store, existing.id, clock.now(), { key: DEMO_KEY, label: 'demo' });
    else
      await createAccount(
        store,
        clock.now(),
        // INAD wants a purpose for every extraction: the demo account carries a default one.
        { name: 'demo', billingMode: 'prepaid', priceCents: 10, initialCreditCents: 1000, defaultReference: 'prova cercapec (demo)' },
        { key: DEMO_KEY },
      );
    accountCreated = !existing;
  }
  const dataset = await store.db.selectFrom('datasets').select('id').where('name', '=', DEMO_DATASET).executeTakeFirst();
  if (!dataset) await importDataset(store, clock, { file: SAMPLE, format: 'ipa-enti', name: DEMO_DATASET });
  return { accountCreated, imported: !dataset };
}
