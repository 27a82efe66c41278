import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { openStore } from '../../src/store/store.ts';
import {
  assertNoStack,
  clientOk,
  countRequests,
  expectedFor,
  generatedCodes,
  runClient,
  SAMPLE,
  startClientFixture,
  type ClientFixture,
} from './client-fixture.ts';

const TIMEOUT = { timeout: 300_000 };

/** Net cents charged to the fixture's account: charges minus refunds. */
async function charged(dataDir: string): Promise<number> {
  const store = await openStore({ dataDir, migrate: false });
  try {
    const rows = await store.db.selectFrom('ledger').select(['kind', 'amount_cents']).where('kind', 'in', ['charge', 'refund']).execute();
    return -rows.reduce((sum, r) => sum + Number(r.amount_cents), 0);
  } finally {
    await store.close();
  }
}

function readOutput(text: string): Record<string, string>[] {
  return parse(text, { bom: true, delimiter: ';', columns: true }) as Record<string, string>[];
}

/**
 * Issue #15 item 13: with the text protocol, codes the key already requested were deleted and
 * bought again without asking. Now they are reported, and buying again needs --rebuy, a stated
 * cost and a confirmation.
 */
describe('cercapec client batch --protocol text: codes already requested', TIMEOUT, () => {
  let fx: ClientFixture;
  before(async () => {
    fx = await startClientFixture('already');
  });
  after(async () => {
    await fx?.close();
  });

  test('are reported "già richiesta", never deleted or charged again; --rebuy states the cost and needs --yes', TIMEOUT, async () => {
    const sample = [...SAMPLE.keys()].slice(0, 5);
    const earlier = [...sample.slice(0, 3), ...generatedCodes(2, 15)];
    const fresh = [...sample.slice(3), ...generatedCodes(2, 16)];
    // Requested before, outside this file (as in the trial run that charged 13 codes twice).
    await clientOk(['lookup', ...earlier], fx.env);

    const input = join(fx.tmp, 'lista.csv');
    const output = join(fx.tmp, 'lista-out.csv');
    await writeFile(input, `partita_iva;nome\n${[...earlier, ...fresh].map((c, i) => `${c};riga ${i + 1}`).join('\n')}\n`);
    const before = await countRequests(fx.dataDir);
    const chargedBefore = await charged(fx.dataDir);

    const first = await clientOk(['batch', input, '-o', output], fx.env);
    assertNoStack(first);
    let rows = readOutput(await readFile(output, 'utf8'));
    for (const [i, code] of earlier.entries()) {
      assert.equal(rows[i].stato, 'già richiesta', code);
      assert.match(rows[i].errore, /^Richiesta già presente: .*--rebuy/);
    }
    for (const [i, code] of fresh.entries()) assert.equal(rows[earlier.length + i].stato, expectedFor(code).stato, code);
    assert.match(first.stdout, /5 already requested \(4 codes submitted by this run\)/);
    assert.match(first.stderr, /5 rows have stato "già richiesta"/);
    const afterFirst = await countRequests(fx.dataDir);
    assert.equal(afterFirst.deleted, before.deleted, 'nothing deleted');
    assert.equal(afterFirst.total, before.total + fresh.length, 'only the new codes submitted');
    assert.equal(await charged(fx.dataDir), chargedBefore + fresh.length, 'only the new codes charged (1 cent each)');

    // --rebuy without a terminal and without --yes: refused before anything is sent.
    const unconfirmed = await runClient(['batch', input, '-o', output, '--rebuy'], fx.env);
    assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /--rebuy charges codes again: .*add --yes/);
    assert.deepEqual(await countRequests(fx.dataDir), afterFirst);

    // The old way of asking for silent re-buying is refused with the new one.
    const old = await runClient(['batch', input, '-o', output, '--on-duplicate', 'resubmit'], fx.env);
    assert.equal(old.code, 2);
    assert.match(old.stderr, /--on-duplicate resubmit is gone .*--rebuy/);

    // Confirmed: the cost is stated first, then exactly those codes are bought again.
    const rebuy = await clientOk(['batch', input, '-o', output, '--rebuy', '--yes'], fx.env);
    assert.match(
      rebuy.stderr,
      /5 codes already requested with this key will be deleted \(cf-delete\) and requested again; each is charged again at the account's price/,
    );
    rows = readOutput(await readFile(output, 'utf8'));
    for (const [i, code] of [...earlier, ...fresh].entries())
      assert.deepEqual([rows[i].stato, rows[i].pec], [expectedFor(code).stato, expectedFor(code).pec], code);
    assert.match(rebuy.stdout, /0 already requested \(5 codes submitted by this run, 5 of them bought again with --rebuy\)/);
    const afterRebuy = await countRequests(fx.dataDir);
    assert.equal(afterRebuy.deleted, afterFirst.deleted + earlier.length);
    assert.equal(afterRebuy.live, afterFirst.live);
    assert.equal(await charged(fx.dataDir), chargedBefore + fresh.length + earlier.length, 'the re-bought codes charged once more');
  });

  test('--refresh states the cost and, without a terminal, needs --yes', TIMEOUT, async () => {
    const input = join(fx.tmp, 'refresh.csv');
    const output = join(fx.tmp, 'refresh-out.csv');
    const codes = generatedCodes(3, 17);
    await writeFile(input, `codice\n${codes.join('\n')}\n`);
    await clientOk(['batch', input, '-o', output], fx.env);
    const before = await countRequests(fx.dataDir);
    const refused = await runClient(['batch', input, '-o', output, '--refresh'], fx.env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--refresh charges codes again: .*add --yes/);
    assert.deepEqual(await countRequests(fx.dataDir), before);
    const refreshed = await clientOk(['batch', input, '-o', output, '--refresh', '--yes'], fx.env);
    assert.match(refreshed.stderr, /--refresh: the requests for 3 codes will be deleted and the codes requested again; each is charged again/);
    assert.equal((await countRequests(fx.dataDir)).deleted, before.deleted + codes.length);
  });
});
