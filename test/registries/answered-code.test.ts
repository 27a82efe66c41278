import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { createHttpClient } from '../../src/registries/http-client.ts';
import { inadSource } from '../../src/registries/inad/definition.ts';
import { openapiSource, OpenapiOptionsSchema } from '../../src/registries/openapi/definition.ts';
import { RegistryError } from '../../src/registries/registry.ts';
import { SourceLimitsSchema } from '../../src/registries/source-limits.ts';
import { generateDataset } from '../../src/standins/dataset.ts';
import { inadStandinSection } from '../../src/standins/inad/definition.ts';
import { startInadStandin, type InadStandinHandle } from '../../src/standins/inad/inad-standin.ts';
import { openapiStandin } from '../../src/standins/openapi/definition.ts';
import { startOpenapiStandin } from '../../src/standins/openapi/openapi-standin.ts';
import { cf16CheckChar, validateTaxId } from '../../src/taxid/index.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { inadCodes, inadFixture, query, START, type InadFixture } from './inad-fixture.ts';

/**
 * Issue 15, items 8 and 9. A registry's answer that names a code other than the one asked is a
 * permanent source error, never another person's address (INAD single and bulk, OpenAPI; INI-PEC
 * matches its list by code). INAD is skipped, not asked, for codes its API refuses (omocodic):
 * an attempt `skipped` with the reason, the chain goes on, no error against INAD.
 */

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );

/** The omocodic form of a personal code: the last digit of the serial replaced by its letter, check char recomputed. */
function omocodic(code: string): string {
  const first15 = code.slice(0, 14) + 'LMNPQRSTUV'[Number(code[14])];
  const result = first15 + cf16CheckChar(first15);
  assert.ok(validateTaxId(result).valid, result);
  return result;
}

describe('answers about another code', () => {
  let f: InadFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  test("INAD single extract answering another person's record: permanent code_mismatch, no address", async () => {
    f = await inadFixture();
    const { person, activePersons } = inadCodes(f.dataset);
    const other = activePersons.find((p) => p.cf !== person.cf)!;
    f.standin.misdirect(person.cf, other.cf);
    const error = await rejection(f.client.lookup(query(person.cf), AbortSignal.timeout(5000)));
    assert.ok(error instanceof RegistryError, String(error));
    assert.equal(error.code, 'code_mismatch');
    assert.equal(error.transient, false);
    assert.doesNotMatch(error.message, new RegExp(`${person.cf}|${other.cf}`), 'the message names no code');
    // The same code in another case or with spaces is the same code.
    assert.equal((await f.client.lookup(query(other.cf.toLowerCase()), AbortSignal.timeout(5000))).outcome, 'found');
  });

  test('INAD bulk list naming another code: the code asked is not answered with that address', async () => {
    f = await inadFixture({ options: { bulkThreshold: 2 }, limits: { batchDelayMs: 50 } });
    const [a, b, c] = inadCodes(f.dataset).activePersons;
    f.standin.misdirect(a.cf, c.cf);
    const [ra, rb] = await Promise.all([a, b].map((p) => f!.client.lookup(query(p.cf), AbortSignal.timeout(10_000))));
    assert.equal(f.sent('list').length, 1, 'one bulk list');
    assert.deepEqual(ra, { outcome: 'not_found' });
    assert.equal(rb.outcome === 'found' && rb.addresses[0].pec, b.pec);
  });

  test('OpenAPI answering another company: permanent code_mismatch', async () => {
    const dataset = generateDataset();
    const standin = await startOpenapiStandin({ dataset });
    const limits = SourceLimitsSchema.parse({ readTimeoutMs: 3000, ratePerSecond: 10_000 });
    const http = createHttpClient('openapi', limits);
    try {
      const client = openapiSource.create(OpenapiOptionsSchema.parse(openapiStandin.sourceSection(standin)), {
        store: null as never,
        clock: new ManualClock(),
        logger: pino({ level: 'silent' }),
        limits,
        http,
        resolvePath: (p) => p,
      });
      const [asked, other] = dataset.companies;
      standin.misdirect(asked.cf, other.cf);
      const error = await rejection(client.lookup({ requestId: 'r', code: asked.cf, kind: 'cf11', reference: null }, AbortSignal.timeout(5000)));
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.code, 'code_mismatch');
      assert.equal(error.transient, false);
      const fine = await client.lookup({ requestId: 'r', code: other.cf, kind: 'cf11', reference: null }, AbortSignal.timeout(5000));
      assert.equal(fine.outcome === 'found' && fine.addresses[0].pec, other.pec);
    } finally {
      await http.close();
      await standin.close();
    }
  });
});

await eachDialect(describe, 'inad through the service: other codes and omocodic codes', (dialect) => {
  let h: Harness | undefined;
  let standin: InadStandinHandle | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cercapec-answered-'));
  afterEach(async () => {
    await h?.close();
    await standin?.close();
    h = undefined;
  });

  async function start(routing: string[]) {
    const dataset = generateDataset();
    standin = await startInadStandin({ dataset, clock: { now: () => h?.clock.now() ?? START } });
    h = await createHarness(
      dialect,
      {},
      {
        sourceDefinitions: [inadSource],
        registriesFile: {
          routing: { cf16: routing, cf11: ['directory'] },
          sources: { inad: { ...inadStandinSection(standin), defaultPracticalReference: 'pratica-1', limits: { batchDelayMs: 5, retries: 0 } } },
        },
        sleep: async () => {},
      },
    );
    const { id } = await h.account();
    const account = (await getAccount(h.store, id))!;
    const submit = async (code: string) => (await submitLookup(h!.services.lookups, { account, code, via: 'json' })).id;
    const settled = (requestId: string) =>
      waitFor(
        () => h!.store.db.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow(),
        (r) => !['queued', 'running'].includes(r.status),
        'settled',
      );
    const attempts = (requestId: string) =>
      h!.store.db.selectFrom('attempts').select(['source', 'outcome', 'error']).where('request_id', '=', requestId).orderBy('started_at').execute();
    return { dataset, submit, settled, attempts };
  }

  test('INAD answering about someone else: the lookup fails (refunded), nothing cached, no address kept', async () => {
    const { dataset, submit, settled, attempts } = await start(['directory', 'inad']);
    const { person, activePersons } = inadCodes(dataset);
    const other = activePersons.find((p) => p.cf !== person.cf)!;
    standin!.misdirect(person.cf, other.cf);
    const id = await submit(person.cf);
    h!.worker.start();
    const row = await settled(id);
    assert.equal(row.status, 'failed');
    assert.equal(row.pec, null);
    assert.deepEqual(
      (await attempts(id)).map((a) => [a.source, a.outcome]),
      [
        ['directory', 'not_found'],
        ['inad', 'permanent_error'],
      ],
    );
    const cached = await h!.store.db.selectFrom('registry_cache').selectAll().where('code', '=', person.cf).execute();
    assert.deepEqual(cached, [], 'an answer about another code is not cached');
    const addresses = await h!.store.db.selectFrom('request_addresses').selectAll().where('request_id', '=', id).execute();
    assert.deepEqual(addresses, []);
  });

  test('an omocodic code skips INAD (no request, no error) and the chain goes on', async () => {
    const { dataset, submit, settled, attempts } = await start(['inad', 'directory']);
    const { person, activePersons } = inadCodes(dataset);
    const known = omocodic(person.cf);
    const unknown = omocodic(activePersons.find((p) => p.cf !== person.cf)!.cf);
    const file = join(dir, `${dialect}.csv`);
    writeFileSync(file, `codice_fiscale,pec\n${known},omocodico@pec.example.it\n`);
    await importDataset(h!.store, h!.clock, { file, format: 'csv', name: 'omocodici' });
    const found = await submit(known);
    const notFound = await submit(unknown);
    h!.worker.start();
    const a = await settled(found);
    assert.equal(a.status, 'found');
    assert.equal(a.pec, 'omocodico@pec.example.it');
    const b = await settled(notFound);
    assert.equal(b.status, 'not_found', 'skipped is not an error: the sources asked said not found');
    for (const id of [found, notFound]) {
      const [inad, directory] = await attempts(id);
      assert.deepEqual([inad.source, inad.outcome], ['inad', 'skipped']);
      assert.match(inad.error ?? '', /omocodic/);
      assert.equal(directory.source, 'directory');
    }
    assert.equal(standin!.received.filter((r) => r.path.includes('/extract/') || r.path.includes('/listDigitalAddress')).length, 0, 'INAD was not asked');
    const health = await h!.app.inject({ method: 'GET', url: '/healthz/sources' });
    const inad = (JSON.parse(health.body).sources as Array<{ source: string; consecutiveFailures: number; breaker: string }>).find((s) => s.source === 'inad')!;
    assert.deepEqual([inad.breaker, inad.consecutiveFailures], ['closed', 0]);
  });
});
