import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { generateDataset } from '../../src/standins/dataset.ts';
import { inipecStandin } from '../../src/standins/inipec/definition.ts';
import { startInipecStandin, type InipecStandinHandle } from '../../src/standins/inipec/server.ts';
import { createHarness, type Harness } from '../helpers/services.ts';

describe('INI-PEC through the whole service', () => {
  let h: Harness | undefined;
  let standin: InipecStandinHandle | undefined;
  afterEach(async () => {
    await h?.close();
    await standin?.close();
  });

  test('a company code sent with the text protocol is answered by INI-PEC; the same code again comes from the cache', async () => {
    const dataset = generateDataset();
    // The stand-in judges tokens by the service's clock (created below).
    standin = await startInipecStandin({ dataset, clock: { now: () => h!.clock.now() } });
    const section = { ...inipecStandin.sourceSection(standin), pollIntervalMs: 5, limits: { batchDelayMs: 5 } };
    h = await createHarness(
      'sqlite',
      {},
      {
        registriesFile: { routing: { cf11: ['directory', 'inipec'], cf16: ['directory', 'inipec'] }, sources: { inipec: section } },
        sleep: async () => {},
      },
    );
    const company = dataset.companies[7];

    async function ask(key: string): Promise<string> {
      const submitted = await h!.app.inject({ method: 'POST', url: '/index_ws.php', payload: { key, cf: company.cf } });
      assert.match(submitted.body, /^OK\|/);
      const token = submitted.body.slice(3);
      for (let i = 0; i < 500; i++) {
        const polled = await h!.app.inject({ method: 'GET', url: `/index_ws.php?key=${key}&token=${token}` });
        if (!polled.body.startsWith('WAIT|')) return polled.body;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no answer');
    }

    h.worker.start();
    const first = await h.account();
    assert.equal(await ask(first.key), `OK|${company.pec}|pec trovata`);
    const row = await h.store.db.selectFrom('requests').select(['source', 'pec']).where('account_id', '=', first.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { source: 'inipec', pec: company.pec });
    const calls = standin.received.length;
    assert.ok(calls >= 3, 'authentication, richiestaElencoPec, getElencoPec…');

    const second = await h.account();
    assert.equal(await ask(second.key), `OK|${company.pec}|pec trovata`);
    assert.equal(standin.received.length, calls, 'answered from the cache: INI-PEC not asked again');
  });
});
