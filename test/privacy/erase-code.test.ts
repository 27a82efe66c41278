import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { cliOk, runCli } from '../helpers/cli.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { findLookup } from '../../src/lookups/find-lookup.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { balanceOf } from '../../src/billing/balance.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { eraseCode, ERASED_ROW_ERROR } from '../../src/privacy/erase-code.ts';
import { CLI_ACTOR } from '../../src/audit/record-audit.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadingBatchRow } from '../../src/batches/create-batch.ts';

const CODE = '82003050109'; // in the demo IPA sample
const OTHER = '84000950133'; // also in the sample, not erased

await eachDialect(describe, 'erasure of a code (GDPR art. 17)', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    // Through the queue, so that a request can be left pending on purpose.
    h = await createHarness(dialect, { inlineAnswers: false });
    await importDataset(h.store, h.clock, { file: 'demo/enti-sample-comuni.csv', format: 'ipa-enti' });
  });
  afterEach(() => h.close());

  test("every account's requests, batch rows, directory entries and cached answers for the code go; the pending one is refunded; others stay", async () => {
    const a = (await getAccount(h.store, (await h.account({ name: 'a', initialCreditCents: 1000, priceCents: 10 })).id))!;
    const b = (await getAccount(h.store, (await h.account({ name: 'b', initialCreditCents: 1000, priceCents: 10 })).id))!;
    const answered = await submitLookup(h.services.lookups, { account: a, code: CODE, via: 'json' });
    const kept = await submitLookup(h.services.lookups, { account: a, code: OTHER, via: 'text' });
    const done = Promise.all([h.services.notifier.waitForAnswer(answered.id, 10_000), h.services.notifier.waitForAnswer(kept.id, 10_000)]);
    h.worker.start();
    assert.deepEqual(await done, [true, true]);
    await h.worker.stop();
    const pending = await submitLookup(h.services.lookups, { account: b, code: CODE, via: 'text' });
    const now = h.clock.now();
    await h.store.db
      .insertInto('registry_cache')
      .values({ source: 'inipec', code: CODE, outcome: 'found', addresses: '[]', cached_at: now, expires_at: now + 1000 })
      .execute();
    await h.store.db
      .insertInto('batches')
      .values({
        ...uploadingBatchRow({ id: 'bat_1', accountId: a.id, format: 'csv', callbackUrl: null, now }),
        status: 'completed',
        column_name: 'cf',
        input_columns: JSON.stringify(['cf', 'nome']),
        csv_delimiter: ';',
        total_rows: 2,
        valid_rows: 2,
        distinct_codes: 2,
        completed_at: now,
      })
      .execute();
    await h.store.db
      .insertInto('batch_rows')
      .values([
        { batch_id: 'bat_1', row_index: 0, input: JSON.stringify([CODE, 'Comune']), code: CODE, error: null, request_id: answered.id },
        { batch_id: 'bat_1', row_index: 1, input: JSON.stringify([OTHER, 'Altro']), code: OTHER, error: null, request_id: kept.id },
      ])
      .execute();
    const balanceB = await balanceOf(h.store.db, b.id);
    const ledgerRows = (await h.store.db.selectFrom('ledger').selectAll().execute()).length;

    const counts = await eraseCode(h.store, h.clock, ` ${CODE} `, CLI_ACTOR);
    assert.deepEqual(counts, {
      requests: 2,
      refunded: 1,
      batchRows: 1,
      directoryEntries: 1,
      names: 0,
      cacheEntries: 1,
      webhookDeliveries: 0,
      observations: 1,
      watches: 0,
      watchEvents: 0,
    });

    assert.equal(await findLookup(h.store, a.id, answered.id), null);
    assert.equal(await findLookup(h.store, b.id, pending.id), null);
    assert.ok(await findLookup(h.store, a.id, kept.id), 'another code stays');
    const mentions = async (table: 'requests' | 'directory_entries' | 'registry_cache' | 'batch_rows') =>
      (await h.store.db.selectFrom(table).select('code').where('code', '=', CODE).execute()).length;
    for (const table of ['requests', 'directory_entries', 'registry_cache', 'batch_rows'] as const) assert.equal(await mentions(table), 0, table);
    const addresses = await h.store.db.selectFrom('request_addresses').select('request_id').execute();
    assert.deepEqual(
      addresses.map((r) => r.request_id),
      [kept.id],
    );
    const rows = await h.store.db.selectFrom('batch_rows').selectAll().orderBy('row_index').execute();
    assert.deepEqual(JSON.parse(rows[0].input), ['', '']);
    assert.equal(rows[0].error, ERASED_ROW_ERROR);
    assert.deepEqual(JSON.parse(rows[1].input), [OTHER, 'Altro']);

    assert.equal(await balanceOf(h.store.db, b.id), balanceB + 10, 'the pending request was refunded');
    assert.equal((await h.store.db.selectFrom('ledger').selectAll().execute()).length, ledgerRows + 1, 'the ledger keeps its rows, plus the refund');
    const audit = await h.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'privacy.erase').execute();
    assert.equal(audit.length, 1);
    assert.ok(!JSON.stringify(audit).includes(CODE), 'the audit log does not name the code');

    // The pending request's job finds nothing to answer; the code can be asked again.
    h.worker.start();
    const again = await submitLookup(h.services.lookups, { account: b, code: CODE, via: 'text' });
    assert.equal(await h.services.notifier.waitForAnswer(again.id, 10_000), true);
    await h.worker.stop();
    assert.equal((await findLookup(h.store, b.id, again.id))!.status, 'not_found', 'the directory no longer knows it');
  });

  test('an invalid code is refused and nothing changes', async () => {
    await assert.rejects(eraseCode(h.store, h.clock, '8200305010X', CLI_ACTOR), { code: 'code_invalid' });
  });
});

describe('cercapec erase', () => {
  test('codes from stdin, a line of counts per code without the code; an invalid one is a usage error', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cercapec-erase-'));
    try {
      const data = join(dir, 'data');
      await cliOk(['import', 'demo/enti-sample-comuni.csv', '--format', 'ipa-enti', '--data', data]);
      const out = await cliOk(['erase', '--stdin', '--data', data], { input: `${CODE}\n\n` });
      assert.match(
        out.stdout,
        /^#1: erased 0 requests \(0 pending, refunded\), 0 batch rows, 1 directory entries, 0 searchable names, 0 cached answers, 0 webhook deliveries, 0 history entries, 0 watches, 0 watch events$/m,
      );
      assert.ok(!out.stdout.includes(CODE));
      const bad = await runCli(['erase', '00000000000', '--data', data]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /not a valid codice fiscale or partita IVA: #1; nothing erased/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
