import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createLocalDirectory } from '../../src/registries/local-directory.ts';
import { normalizePec } from '../../src/directory/pec-address.ts';
import { ManualClock } from '../../src/clock.ts';

const SAMPLE = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cercapec-import-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('pec addresses', () => {
  test('keeps plausible addresses, lower-cases the domain, refuses garbage', () => {
    assert.equal(normalizePec(' Info@PEC.Example.IT '), 'Info@pec.example.it');
    for (const bad of ['', 'Pec', 'a@b', 'a b@c.it', 'a@@c.it', '@c.it', 'a@-c.it']) assert.equal(normalizePec(bad), null, bad);
  });
});

await eachDialect(describe, 'directory import', (dialect) => {
  let store: TestStore;
  const clock = new ManualClock();
  beforeEach(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });
  const lookup = (code: string) =>
    createLocalDirectory(store).lookup({ requestId: 'r', code, kind: code.length === 16 ? 'cf16' : 'cf11', reference: null }, new AbortController().signal);

  test('IPA enti: every Mail of type Pec, in order, as an ente', async () => {
    const report = await importDataset(store, clock, { file: SAMPLE, format: 'ipa-enti' });
    assert.equal(report.rowsRead, 48);
    assert.equal(report.rowsRejected, 0);
    assert.ok(report.entriesImported >= 48);
    const answer = await lookup('82003050109');
    assert.equal(answer.outcome, 'found');
    if (answer.outcome === 'found') {
      assert.deepEqual(
        answer.addresses.map((a) => [a.pec, a.kind, a.label]),
        [['protocollo@pec.comune.rezzoaglio.ge.it', 'ente', 'Comune di Rezzoaglio']],
      );
    }
  });

  test('generic CSV: ; separator, BOM, leading zeros, several addresses, rejected rows with reasons', async () => {
    const csv = file(
      'a.csv',
      '\uFEFFcodice_fiscale;pec;denominazione\r\n00743110157;uno@pec.it;Alfa\r\nIT 00743110157;due@pec.it;Alfa\r\n00743110158;x@pec.it;bad\r\nRSSMRA85T10A562S;non-una-pec;\r\nrssmra85t10a562s;mario@pec.it;\r\n',
    );
    const report = await importDataset(store, clock, { file: csv, format: 'csv', name: 'clienti' });
    assert.equal(report.rowsRead, 5);
    assert.equal(report.entriesImported, 3);
    assert.deepEqual(
      report.rejected.map((r) => r.line),
      [4, 5],
    );
    assert.match(report.rejected[0].reason, /cifra di controllo/);
    assert.match(report.rejected[1].reason, /pec/);
    const company = await lookup('00743110157');
    assert.deepEqual(company.outcome === 'found' && company.addresses.map((a) => a.pec), ['uno@pec.it', 'due@pec.it']);
    const person = await lookup('RSSMRA85T10A562S');
    assert.deepEqual(person.outcome === 'found' && person.addresses.map((a) => a.kind), ['persona']);
  });

  test('re-importing a name replaces the dataset; a broken file leaves the old one intact', async () => {
    await importDataset(store, clock, { file: file('v1.csv', 'codice_fiscale,pec\n00743110157,old@pec.it\n'), format: 'csv', name: 'x' });
    clock.advance(1000);
    const r2 = await importDataset(store, clock, { file: file('v2.csv', 'codice_fiscale,pec\n82003050109,new@pec.it\n'), format: 'csv', name: 'x' });
    assert.equal(r2.replaced, true);
    assert.equal((await lookup('00743110157')).outcome, 'not_found');
    assert.equal((await lookup('82003050109')).outcome, 'found');
    await assert.rejects(importDataset(store, clock, { file: file('bad.csv', 'nome,email\nA,a@b.it\n'), format: 'csv', name: 'x' }), /codice_fiscale and pec/);
    await assert.rejects(importDataset(store, clock, { file: file('bad2.csv', 'codice_fiscale,pec\n"unterminated,x\n'), format: 'csv', name: 'x' }));
    assert.equal((await lookup('82003050109')).outcome, 'found', 'old dataset still answers');
    const entries = await store.db.selectFrom('directory_entries').selectAll().execute();
    assert.equal(entries.length, 1, 'no leftovers of the failed imports nor of v1');
  });
});
