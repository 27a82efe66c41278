import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { generateDataset } from '../../src/standins/dataset.ts';
import { startIpaCkanStandin, type IpaCkanHandle } from '../../src/standins/ipa/ckan-standin.ts';
import { entiDumpCsv } from '../../src/standins/ipa/enti-dump.ts';
import { buildRegistries, type Registries } from '../../src/registries/build-registries.ts';
import { createRegistryMetrics } from '../../src/registries/metrics.ts';
import { parseRegistriesFile } from '../../src/registries/registries-file.ts';
import { IpaMirrorOptions, ipaMirrorRefresher } from '../../src/registries/ipa-mirror/definition.ts';
import type { MirrorRefresher } from '../../src/registries/ipa-mirror/refresh.ts';
import { ipaMirrorRefreshTask } from '../../src/registries/ipa-mirror/refresh-task.ts';
import { readSyncState } from '../../src/registries/ipa-mirror/sync-state.ts';
import { createLocalDirectory } from '../../src/registries/local-directory.ts';
import { RegistryError, type RegistryAnswer } from '../../src/registries/registry.ts';
import type { GuardedSource } from '../../src/registries/guarded-source.ts';
import { createMaintenance } from '../../src/queue/maintenance.ts';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';

const silent = pino({ level: 'silent' });
const dataset = generateDataset();
const [TWO_PEC, ONE_PEC] = [dataset.enti[0], dataset.enti[1]];
const HOUR = 3_600_000;

await eachDialect(describe, 'ipa-mirror', (dialect) => {
  let ckan: IpaCkanHandle;
  let store: TestStore;
  let clock: ManualClock;
  let registries: Registries;
  let mirror: GuardedSource;
  let refresher: MirrorRefresher;

  beforeEach(async () => {
    ckan = await startIpaCkanStandin({ dataset });
    store = await openTestStore(dialect);
    clock = new ManualClock(Date.UTC(2026, 10, 28, 6, 0, 0));
    const section = { dumpUrl: ckan.dumpUrl, refreshHours: 24, retryMinutes: 60 };
    registries = buildRegistries({
      store,
      clock,
      logger: silent,
      metrics: createRegistryMetrics(),
      loaded: {
        file: parseRegistriesFile({ routing: { cf11: ['directory', 'ipa-mirror'], cf16: ['directory'] }, sources: { 'ipa-mirror': section } }),
        baseDir: '.',
      },
    });
    mirror = registries.sources.find((s) => s.id === 'ipa-mirror')!;
    refresher = ipaMirrorRefresher(IpaMirrorOptions.parse(section), {
      store,
      clock,
      logger: silent,
      limits: { connectTimeoutMs: 10_000, readTimeoutMs: 10_000 },
    });
  });
  afterEach(async () => {
    await refresher.close();
    await registries.close();
    await store.destroy();
    await ckan.close();
  });

  const lookup = (code: string): Promise<RegistryAnswer> => mirror.lookup({ requestId: 'r', code, kind: 'cf11', reference: null }, AbortSignal.timeout(5000));
  const pecsOf = async (code: string) => {
    const answer = await lookup(code);
    return answer.outcome === 'found' ? answer.addresses.map((a) => a.pec) : [];
  };
  const details = async () => (await mirror.health()).details!;
  const mirrorDatasets = () => store.db.selectFrom('datasets').select(['id', 'rows_read']).where('managed_by', '=', 'ipa-mirror').execute();

  /** After a refused download: the mirror still answers as before, and registry_sync says why. */
  async function assertOldMirrorAnswers(datasetId: string, reason: RegExp) {
    assert.deepEqual(await pecsOf(TWO_PEC.cf), TWO_PEC.pecs);
    assert.deepEqual(
      (await mirrorDatasets()).map((d) => d.id),
      [datasetId],
    );
    const state = await readSyncState(store.db, 'ipa-mirror');
    assert.equal(state.status, 'error');
    assert.match(state.error ?? '', reason);
    assert.equal(state.dataset_id, datasetId);
    const entries = await store.db
      .selectFrom('directory_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('dataset_id', '!=', datasetId)
      .executeTakeFirstOrThrow();
    assert.equal(Number(entries.n), 0, 'nothing of the refused download is left behind');
  }

  test('never loaded: lookups fail transiently so the chain moves on; details say never', async () => {
    const error = await lookup(ONE_PEC.cf).catch((e: unknown) => e);
    assert.ok(error instanceof RegistryError);
    assert.equal(error.transient, true);
    assert.equal(error.message, 'mirror non ancora scaricato');
    assert.deepEqual(await details(), { status: 'never', refreshedAt: null, checkedAt: null, rows: null, error: null, ageHours: null });
  });

  test('first download: every PEC of each ente, as an ente named by its denominazione; ordinary mail is not a PEC', async () => {
    const report = await refresher.refresh();
    assert.equal(report.outcome, 'replaced');
    assert.equal(report.outcome === 'replaced' && report.rows, dataset.enti.length);
    const answer = await lookup(TWO_PEC.cf);
    assert.ok(answer.outcome === 'found');
    assert.deepEqual(
      answer.addresses.map((a) => [a.pec, a.kind, a.source, a.label]),
      TWO_PEC.pecs.map((p) => [p, 'ente', 'ipa-mirror', TWO_PEC.name]),
    );
    assert.deepEqual(await pecsOf(ONE_PEC.cf), ONE_PEC.pecs);
    assert.deepEqual(await lookup(dataset.unknown.cf11[0]), { outcome: 'not_found' });
    assert.deepEqual(await lookup(dataset.companies[0].cf), { outcome: 'not_found' });
    const local = await createLocalDirectory(store).lookup({ requestId: 'r', code: ONE_PEC.cf, kind: 'cf11', reference: null }, AbortSignal.timeout(5000));
    assert.deepEqual(local, { outcome: 'not_found' }, "the local directory leaves the mirror's dataset alone");
    assert.deepEqual(await details(), { status: 'ok', refreshedAt: clock.now(), checkedAt: clock.now(), rows: dataset.enti.length, error: null, ageHours: 0 });
    clock.advance(3 * HOUR);
    assert.equal((await details()).ageHours, 3);
    assert.equal(ckan.received[0].headers['if-none-match'], undefined, 'the first download is unconditional');
  });

  test('the second check is conditional: a 304 only moves checked_at', async () => {
    await refresher.refresh();
    const before = await readSyncState(store.db, 'ipa-mirror');
    clock.advance(24 * HOUR);
    assert.deepEqual(await refresher.refresh(), { outcome: 'not_modified' });
    const sent = ckan.received[1].headers;
    assert.equal(sent['if-none-match'], before.etag);
    assert.equal(sent['if-modified-since'], before.last_modified);
    const after = await readSyncState(store.db, 'ipa-mirror');
    assert.deepEqual(after, { ...before, checked_at: clock.now() });
    assert.equal((await details()).ageHours, 0, 'a 304 confirms the data are current');
    assert.equal((await refresher.refresh({ force: true })).outcome, 'replaced', '--force downloads anyway');
  });

  test('a changed dump replaces the old one in one step; lookups meanwhile never miss', async () => {
    const first = await refresher.refresh();
    assert.ok(first.outcome === 'replaced');
    const changed = dataset.enti.slice(1).map((e) => (e.cf === ONE_PEC.cf ? { ...e, pecs: ['nuova.pec@pec.ente.example'] } : e));
    ckan.setEnti([...changed, { cf: dataset.unknown.cf11[1], codIpa: 'c_new', name: 'Comune Nuovo', pecs: ['nuovo@pec.ente.example'] }]);
    clock.advance(24 * HOUR);
    const stable = dataset.enti[5].cf;
    let misses = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        if ((await lookup(stable)).outcome !== 'found') misses++;
        // better-sqlite3 answers without a macrotask: let the download's I/O run between lookups.
        await new Promise((r) => setImmediate(r));
      }
    })();
    const second = await refresher.refresh();
    reading = false;
    await reader;
    assert.equal(second.outcome, 'replaced');
    assert.equal(misses, 0, 'every lookup during the swap found the old or the new data');
    assert.deepEqual(await lookup(TWO_PEC.cf), { outcome: 'not_found' }, 'an ente gone from the dump is gone');
    assert.deepEqual(await pecsOf(ONE_PEC.cf), ['nuova.pec@pec.ente.example']);
    assert.deepEqual(await pecsOf(dataset.unknown.cf11[1]), ['nuovo@pec.ente.example']);
    const datasets = await mirrorDatasets();
    assert.deepEqual(
      datasets.map((d) => d.id),
      [second.outcome === 'replaced' && second.datasetId],
    );
    const oldEntries = await store.db.selectFrom('directory_entries').select('code').where('dataset_id', '=', first.datasetId).execute();
    assert.equal(oldEntries.length, 0, "the old dataset's entries are deleted");
    const state = await readSyncState(store.db, 'ipa-mirror');
    assert.equal(state.refreshed_at, clock.now());
    assert.equal(state.rows, dataset.enti.length);
  });

  test('a truncated download (short of its Content-Length, then closed) leaves the old mirror answering', async () => {
    const first = await refresher.refresh();
    assert.ok(first.outcome === 'replaced');
    ckan.setEnti(dataset.enti.slice(1));
    ckan.setFault({ mode: 'truncate', count: 1 });
    clock.advance(24 * HOUR);
    const report = await refresher.refresh();
    assert.equal(report.outcome, 'error');
    assert.equal(report.outcome === 'error' && report.code, 'truncated');
    await assertOldMirrorAnswers(first.datasetId, /download/);
    const d = await details();
    assert.equal(d.status, 'error');
    assert.equal(d.ageHours, 24, 'after a failure the age counts from the last import');
    assert.equal(d.refreshedAt, clock.now() - 24 * HOUR);
    assert.equal((await refresher.refresh()).outcome, 'replaced', 'the next try downloads the new dump');
  });

  test('malformed downloads are refused: an error page, a broken CSV, a row cut short, a 500', async () => {
    const first = await refresher.refresh();
    assert.ok(first.outcome === 'replaced');
    const csv = entiDumpCsv(dataset.enti);
    const cases: Array<[string, () => void, RegExp]> = [
      ['garbage', () => ckan.setFault({ mode: 'garbage', count: 1 }), /non è il file enti/],
      ['html', () => ckan.setRawDump('<html><body>Manutenzione</body></html>'), /non è il file enti/],
      ['unterminated quote', () => ckan.setRawDump(`${csv}201,c_x,"Comune senza fine,00000000000\r\n`), /CSV non valido/],
      ['short row', () => ckan.setRawDump(`${csv}201,c_x,Comune corto,80000000000,PA\r\n`), /incompleta/],
      ['500', () => ckan.setFault({ mode: '500', count: 1 }), /HTTP 500/],
    ];
    for (const [name, arrange, reason] of cases) {
      arrange();
      const report = await refresher.refresh();
      assert.equal(report.outcome, 'error', name);
      await assertOldMirrorAnswers(first.datasetId, reason);
    }
  });

  test('a dump with far fewer rows than the previous one is refused', async () => {
    const first = await refresher.refresh();
    assert.ok(first.outcome === 'replaced');
    ckan.setEnti(dataset.enti.slice(0, Math.floor(dataset.enti.length / 2) - 1));
    const report = await refresher.refresh();
    assert.equal(report.outcome === 'error' && report.code, 'too_few_rows');
    await assertOldMirrorAnswers(first.datasetId, /troppo poche righe/);
    assert.deepEqual(await pecsOf(dataset.enti[150].cf), dataset.enti[150].pecs, 'enti missing from the small dump still answer');
    ckan.setEnti(dataset.enti.slice(0, dataset.enti.length / 2));
    assert.equal((await refresher.refresh()).outcome, 'replaced', 'half is still accepted');
  });

  test('a 304 after a failed download clears the error: what the mirror holds is current', async () => {
    await refresher.refresh();
    ckan.setFault({ mode: '503', count: 1 });
    assert.equal((await refresher.refresh()).outcome, 'error');
    assert.equal((await details()).status, 'error');
    assert.deepEqual(await refresher.refresh(), { outcome: 'not_modified' });
    assert.equal((await details()).status, 'ok');
    assert.equal((await details()).error, null);
  });

  test('the maintenance task refreshes when due, once, and retries a failure sooner', async () => {
    const task = ipaMirrorRefreshTask(refresher, { source: 'ipa-mirror', refreshMs: 24 * HOUR, retryMs: HOUR, logger: silent });
    const maintenance = createMaintenance({ store, clock, logger: silent, tasks: [task] });
    const tick = async () => (await maintenance.runAll())[task.name];
    assert.deepEqual(await tick(), { due: 1, started: 1 }, 'never loaded: due at once');
    assert.equal((await refresher.refresh()).outcome, 'replaced', 'joins the refresh the task started');
    assert.equal(ckan.received.length, 1, 'one download');
    assert.deepEqual(await tick(), { due: 0 });
    clock.advance(23 * HOUR);
    assert.deepEqual(await tick(), { due: 0 });
    clock.advance(HOUR);
    ckan.setFault({ mode: '500', count: 1 });
    assert.deepEqual(await tick(), { due: 1, started: 1 });
    assert.equal((await refresher.refresh()).outcome, 'error');
    clock.advance(HOUR - 1);
    assert.deepEqual(await tick(), { due: 0 });
    clock.advance(1);
    assert.deepEqual(await tick(), { due: 1, started: 1 }, 'a failure is retried after retryMs');
    assert.deepEqual(await refresher.refresh(), { outcome: 'not_modified' });
    assert.deepEqual(
      registries.tasks.map((t) => t.name),
      ['refresh-ipa-mirror'],
      'the source hands its task to the workers',
    );
  });
});

await eachDialect(describe, 'ipa-mirror through the whole service', (dialect) => {
  test("the workers' maintenance downloads the dump; a code is then answered by ipa-mirror", async () => {
    const { createHarness } = await import('../helpers/services.ts');
    const { submitLookup } = await import('../../src/lookups/submit-lookup.ts');
    const { getAccount } = await import('../../src/accounts/accounts.ts');
    const ckan = await startIpaCkanStandin({ dataset });
    const h = await createHarness(
      dialect,
      {},
      {
        registriesFile: { routing: { cf11: ['directory', 'ipa-mirror'], cf16: ['directory'] }, sources: { 'ipa-mirror': { dumpUrl: ckan.dumpUrl } } },
      },
    );
    try {
      const maintenance = createMaintenance({ store: h.store, clock: h.clock, logger: silent, tasks: h.services.registries.tasks });
      assert.deepEqual(await maintenance.runAll(), { 'refresh-ipa-mirror': { due: 1, started: 1 } });
      const mirror = h.services.registries.sources.find((s) => s.id === 'ipa-mirror')!;
      // The refresh runs in the background of the task; its outcome shows in the health details.
      for (let i = 0; i < 250 && (await mirror.health()).details?.status !== 'ok'; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await mirror.health()).details?.status, 'ok');

      const { id: accountId } = await h.account();
      const account = (await getAccount(h.store, accountId))!;
      const { id } = await submitLookup(h.services.lookups, { account, code: ONE_PEC.cf, via: 'text' });
      h.worker.start();
      const row = await h.store.db.selectFrom('requests').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      if (row.status === 'queued' || row.status === 'running') await h.services.notifier.waitForAnswer(id, 10_000);
      const answered = await h.store.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(answered.status, 'found');
      assert.equal(answered.source, 'ipa-mirror');
      assert.equal(answered.pec, ONE_PEC.pecs[0]);
      const cached = await h.store.db.selectFrom('registry_cache').selectAll().where('source', '=', 'ipa-mirror').execute();
      assert.deepEqual(cached, [], "the mirror's answers are not cached: they are our own tables");
    } finally {
      await h.close();
      await ckan.close();
    }
  });
});
