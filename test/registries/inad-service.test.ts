import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { inadSource } from '../../src/registries/inad/definition.ts';
import { generateDataset } from '../../src/standins/dataset.ts';
import { inadStandinSection } from '../../src/standins/inad/definition.ts';
import { startInadStandin, type InadStandinHandle } from '../../src/standins/inad/inad-standin.ts';
import { inadCodes, START } from './inad-fixture.ts';

describe('inad through the whole service', () => {
  let h: Harness | undefined;
  let standin: InadStandinHandle | undefined;
  afterEach(async () => {
    await h?.close();
    await standin?.close();
  });

  test("a person's code is answered by inad with the account's reference; the second lookup comes from the cache", async () => {
    const dataset = generateDataset();
    // The stand-in reads the harness's ManualClock (created below; it starts at START) for expiries.
    standin = await startInadStandin({ dataset, clock: { now: () => h?.clock.now() ?? START } });
    h = await createHarness(
      'sqlite',
      {},
      {
        sourceDefinitions: [inadSource],
        registriesFile: {
          routing: { cf16: ['directory', 'inad'], cf11: ['directory'] },
          sources: { inad: { ...inadStandinSection(standin), defaultPracticalReference: null, limits: { batchDelayMs: 5 } } },
        },
        sleep: async () => {},
      },
    );
    const { person } = inadCodes(dataset);
    const request = (id: string) => h!.store.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const submit = async () => {
      const { id: accountId } = await h!.account({ defaultReference: 'Prot. 77/2026 notifiche' });
      const account = (await getAccount(h!.store, accountId))!;
      return (await submitLookup(h!.services.lookups, { account, code: person.cf, via: 'text' })).id;
    };

    const first = await submit();
    h.worker.start();
    const row = await waitFor(
      () => request(first),
      (r) => r.status === 'found',
      'found',
    );
    assert.equal(row.source, 'inad');
    assert.equal(row.pec, person.pec);
    const extracts = () => standin!.received.filter((r) => r.path.includes('/extract/'));
    assert.equal(extracts().length, 1);
    assert.equal(extracts()[0].query.get('practicalReference'), 'Prot. 77/2026 notifiche', "the account's default reference");

    // Another account, same code: answered from the cache, INAD not asked again.
    const second = await submit();
    const again = await waitFor(
      () => request(second),
      (r) => r.status === 'found',
      'found again',
    );
    assert.equal(again.pec, person.pec);
    assert.equal(extracts().length, 1, 'served from the cache');
  });
});
