import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { openapiSource } from '../../src/registries/openapi/definition.ts';
import { generateDataset } from '../../src/standins/dataset.ts';
import { openapiStandin } from '../../src/standins/openapi/definition.ts';
import { startOpenapiStandin, type OpenapiStandinHandle } from '../../src/standins/openapi/openapi-standin.ts';

describe('openapi through the whole service', () => {
  let h: Harness | undefined;
  let standin: OpenapiStandinHandle | undefined;
  afterEach(async () => {
    await h?.close();
    await standin?.close();
  });

  test("a company's P.IVA is answered by openapi; the second lookup comes from the cache", async () => {
    const dataset = generateDataset();
    standin = await startOpenapiStandin({ dataset });
    h = await createHarness(
      'sqlite',
      {},
      {
        sourceDefinitions: [openapiSource],
        registriesFile: {
          routing: { cf11: ['directory', 'openapi'], cf16: ['directory'] },
          sources: { openapi: openapiStandin.sourceSection(standin) },
        },
        sleep: async () => {},
      },
    );
    const company = dataset.companies[5];
    const request = (id: string) => h!.store.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const submit = async () => {
      const { id: accountId } = await h!.account();
      const account = (await getAccount(h!.store, accountId))!;
      return (await submitLookup(h!.services.lookups, { account, code: company.cf, via: 'text' })).id;
    };

    const first = await submit();
    h.worker.start();
    const row = await waitFor(
      () => request(first),
      (r) => r.status === 'found',
      'found',
    );
    assert.equal(row.source, 'openapi');
    assert.equal(row.pec, company.pec);
    const calls = () => standin!.received.filter((r) => r.path === `/IT-pec/${company.cf}`).length;
    assert.equal(calls(), 1);

    const second = await submit();
    const again = await waitFor(
      () => request(second),
      (r) => r.status === 'found',
      'found again',
    );
    assert.equal(again.pec, company.pec);
    assert.equal(calls(), 1, 'served from the cache: no second paid call');
  });
});
