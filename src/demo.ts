import { fileURLToPath } from 'node:url';
import type { Services } from './services.ts';
import { addApiKey, authenticateKey } from './accounts/api-keys.ts';
import { createAccount } from './accounts/accounts.ts';
import { importDataset } from './directory/import-dataset.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addWatches } from './watches/add-watches.ts';
import { BillingMode } from './billing/billing-mode.ts';

/**
 * The demo key is public on purpose (README, start-up banner): `npm start` must let a newcomer
 * curl a real answer at once. It is stored hashed like any key, only in the demo data folder.
 */
export const DEMO_KEY = 'cp_demo_chiave_di_prova_pubblica';
export const DEMO_DATASET = 'ipa-enti-demo';
/** A code of no real firm (a valid check digit, outside the sample): the demo's watched code. */
export const DEMO_WATCHED_CODE = '01234567897';
export const DEMO_WATCH_DATASET = 'sorveglianza-demo';
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
        { name: 'demo', billingMode: BillingMode.prepaid, priceCents: 10, initialCreditCents: 1000, defaultReference: 'prova cercapec (demo)' },
        { key: DEMO_KEY },
      );
    accountCreated = !existing;
    if (accountCreated) await demoWatchChange(services);
  }
  const dataset = await store.db.selectFrom('datasets').select('id').where('name', '=', DEMO_DATASET).executeTakeFirst();
  if (!dataset) await importDataset(store, clock, { file: SAMPLE, format: 'ipa-enti', name: DEMO_DATASET });
  return { accountCreated, imported: !dataset };
}

/**
 * The demo's one change of address (docs/watches.md): a small dataset holds one firm, the demo
 * account watches it, and the dataset is imported again with the firm's PEC changed. The
 * server's watch worker then makes the pec.changed event (GET /v1/watches/events with the demo
 * key) within its poll interval, as it would for a real re-import.
 */
async function demoWatchChange(services: Services): Promise<void> {
  const { store, clock } = services;
  const account = await store.db.selectFrom('accounts').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow();
  const dir = await mkdtemp(join(tmpdir(), 'cercapec-demo-'));
  try {
    const file = join(dir, 'sorveglianza-demo.csv');
    const version = (pec: string) => writeFile(file, `codice_fiscale;pec;denominazione;tipo\n${DEMO_WATCHED_CODE};${pec};Ditta Dimostrativa Srl;impresa\n`);
    await version('amministrazione@pec.ditta-demo.example');
    await importDataset(store, clock, { file, format: 'csv', name: DEMO_WATCH_DATASET });
    await addWatches(store, account.id, [DEMO_WATCHED_CODE], { reference: 'demo', now: clock.now() });
    await version('ufficio.legale@pec.ditta-demo.example');
    await importDataset(store, clock, { file, format: 'csv', name: DEMO_WATCH_DATASET });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
