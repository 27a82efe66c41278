import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect, openTestStore, type TestStore } from '../helpers/stores.ts';
import { searchNames, SEARCH_CANDIDATES } from '../../src/search/search-names.ts';
import { insertNames } from '../../src/search/name-index.ts';
import { nameWords } from '../../src/search/normalize-name.ts';
import { parseQuery } from '../../src/search/search-query.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { eraseCode } from '../../src/privacy/erase-code.ts';
import { isCercapecError } from '../../src/errors.ts';
import { ManualClock } from '../../src/clock.ts';
import { dir, loadMirror, names, testCode, writeFile } from './fixture.ts';

describe('name normalisation', () => {
  test('accents, case and punctuation go; every other character breaks words', () => {
    assert.deepEqual(nameWords("Comune di RICCO' del Golfo"), ['comune', 'di', 'ricco', 'del', 'golfo']);
    assert.deepEqual(nameWords('Città  di Castello'), ['citta', 'di', 'castello']);
    assert.deepEqual(nameWords('Rhêmes-Notre-Dame'), ['rhemes', 'notre', 'dame']);
    assert.deepEqual(nameWords('A.S.L. Roma/1'), ['a', 's', 'l', 'roma', '1']);
    assert.deepEqual(nameWords(' ,;- '), []);
  });

  test('common words are required only when the query has nothing else', () => {
    assert.deepEqual(parseQuery('comune di rezzoaglio').required, ['rezzoaglio']);
    assert.deepEqual(parseQuery('Comune di').required, ['comune', 'di']);
    assert.throws(
      () => parseQuery('  ?! '),
      (e) => isCercapecError(e, 'invalid_argument'),
    );
    assert.throws(
      () => parseQuery('x'.repeat(201)),
      (e) => isCercapecError(e, 'invalid_argument'),
    );
  });
});

await eachDialect(describe, 'search by name', (dialect) => {
  let store: TestStore;
  const clock = new ManualClock();
  beforeEach(async () => {
    store = await openTestStore(dialect);
    await loadMirror(store);
  });
  afterEach(async () => {
    await store.destroy();
  });

  test('finds a comune by its whole name, with its codes, place, PEC and source', async () => {
    const page = await searchNames(store, 'comune di rezzoaglio');
    assert.deepEqual(page.items[0], {
      code: '82003050109',
      ipaCode: 'c_h258',
      name: 'Comune di Rezzoaglio',
      place: { municipalityCode: '010048', province: 'GE', postcode: '16048', address: 'Via Roma 20' },
      category: 'L6',
      source: { type: 'ipa', name: 'ipa-mirror' },
      pecs: [{ pec: 'protocollo@pec.comune.rezzoaglio.ge.it', kind: 'ente', source: 'ipa-mirror' }],
    });
    // The "Altro" mail is not a PEC, and "comune di" alone does not make every comune a result.
    assert.deepEqual(names(page), ['Comune di Rezzoaglio']);
  });

  test('accent, case, punctuation and word order do not matter', async () => {
    for (const q of ['REZZOAGLIO', 'rezzòaglio', 'Rezzoaglio, Comune di!', 'di rezzoaglio comune', '  rezzoaglio.  ']) {
      assert.deepEqual(names(await searchNames(store, q)), ['Comune di Rezzoaglio'], q);
    }
    assert.deepEqual(names(await searchNames(store, 'citta di castello')), ['Comune di Città di Castello']);
    assert.deepEqual(names(await searchNames(store, 'ricco del golfo')), ["Comune di Ricco' del Golfo di Spezia"]);
    assert.deepEqual(names(await searchNames(store, 'rhemes notre dame')), ['Comune di Rhemes-notre-dame']);
  });

  test('prefixes match: a whole word ranks above a prefix, then shorter names, then the words', async () => {
    assert.deepEqual(names(await searchNames(store, 'rezzo')), ['Comune di Val Rezzo', 'Comune di Rezzoaglio']);
    assert.deepEqual(names(await searchNames(store, 'comune di rezzo')), ['Comune di Val Rezzo', 'Comune di Rezzoaglio']);
    assert.deepEqual(names(await searchNames(store, 'rio')), [
      'Comune di Rio Saliceto',
      'Comune di Rio di Pusteria',
      'Comune di Riofreddo',
      'Comune di Riolunato',
      'Comune di Riomaggiore',
      'Comune di Riola Sardo',
      'Comune di Riolo Terme',
      'Comune di Rionero Sannitico',
      'Comune di Rionero In Vulture',
    ]);
    assert.deepEqual(names(await searchNames(store, 'rign')), ['Comune di Rignano Flaminio', 'Comune di Rignano Garganico', "Comune di Rignano sull'Arno"]);
  });

  test('acronyms are searched; every uncommon word is required', async () => {
    assert.deepEqual(names(await searchNames(store, 'ASL Roma 1')), ['Azienda Sanitaria Locale Roma 1']);
    assert.deepEqual(names(await searchNames(store, 'asl roma')), ['Azienda Sanitaria Locale Roma 1', 'Azienda Sanitaria Locale Roma 2']);
    assert.deepEqual(names(await searchNames(store, 'ordine degli avvocati di milano')), ['Ordine degli Avvocati di Milano']);
    assert.deepEqual(names(await searchNames(store, 'avvocati roma')), []);
  });

  test('a query of common words only requires them all', async () => {
    const page = await searchNames(store, 'comune di', { limit: 100 });
    assert.equal(page.items.length, 49);
    assert.ok(page.items.every((i) => i.name.startsWith('Comune di')));
  });

  test('province and category filters', async () => {
    assert.deepEqual(names(await searchNames(store, 'rezzo', { province: 'ge' })), ['Comune di Rezzoaglio']);
    assert.deepEqual(names(await searchNames(store, 'rezzo', { province: 'CO' })), ['Comune di Val Rezzo']);
    assert.deepEqual(names(await searchNames(store, 'roma', { category: 'l7' })), ['Azienda Sanitaria Locale Roma 1', 'Azienda Sanitaria Locale Roma 2']);
    assert.deepEqual(names(await searchNames(store, 'roma', { category: 'L6' })), []);
    for (const bad of [{ province: 'Genova' }, { category: 'L6; drop' }, { limit: 0 }, { limit: 101 }, { offset: -1 }, { offset: 1001 }]) {
      await assert.rejects(searchNames(store, 'rezzo', bad), (e) => isCercapecError(e, 'invalid_argument'), JSON.stringify(bad));
    }
  });

  test('pages follow one another without overlap, in the order of one long page', async () => {
    const all = names(await searchNames(store, 'ri', { limit: 100 }));
    assert.ok(all.length > 30);
    const paged: string[] = [];
    let offset: number | null = 0;
    for (let i = 0; offset !== null && i < 100; i++) {
      const page = await searchNames(store, 'ri', { limit: 7, offset });
      paged.push(...names(page));
      offset = page.nextOffset;
    }
    assert.deepEqual(paged, all);
  });

  test('a customer dataset imported with a name column is searchable, says its source, and goes with the dataset', async () => {
    const code = testCode(500);
    const csv = writeFile(
      'clienti.csv',
      `codice_fiscale,pec,ragione_sociale\n${code},amministrazione@pec.rezzoagliolegno.it,Rezzoaglio Legnami S.r.l.\n${code},seconda@pec.rezzoagliolegno.it,\n`,
    );
    const report = await importDataset(store, clock, { file: csv, format: 'csv', name: 'fornitori', nameColumn: 'Ragione_Sociale' });
    assert.equal(report.namesIndexed, 1);
    const page = await searchNames(store, 'rezzoaglio');
    assert.deepEqual(names(page), ['Comune di Rezzoaglio', 'Rezzoaglio Legnami S.r.l.']);
    assert.deepEqual(page.items[1].source, { type: 'dataset', name: 'fornitori' });
    assert.deepEqual(
      page.items[1].pecs.map((p) => [p.pec, p.source]),
      [
        ['amministrazione@pec.rezzoagliolegno.it', 'directory'],
        ['seconda@pec.rezzoagliolegno.it', 'directory'],
      ],
    );
    assert.deepEqual(names(await searchNames(store, 'legnami srl')), ['Rezzoaglio Legnami S.r.l.']);

    // Imported again without the name column: the dataset's names go with the old dataset.
    await importDataset(store, clock, { file: csv, format: 'csv', name: 'fornitori' });
    assert.deepEqual(names(await searchNames(store, 'legnami')), []);
    await assert.rejects(importDataset(store, clock, { file: csv, format: 'csv', name: 'fornitori', nameColumn: 'nome' }), (e) =>
      isCercapecError(e, 'invalid_argument'),
    );
  });

  test("a dataset imported for an account is searched by that account only; the installation's by every account", async () => {
    const csv = (n: number, label: string) => writeFile(`conto-${n}.csv`, `codice_fiscale,pec,nome\n${testCode(n)},c${n}@pec.example.it,${label}\n`);
    await importDataset(store, clock, { file: csv(510, 'Rezzoaglio Legnami'), format: 'csv', name: 'di a', nameColumn: 'nome', accountId: 'acc_a' });
    await importDataset(store, clock, { file: csv(511, 'Rezzoaglio Marmi'), format: 'csv', name: 'di b', nameColumn: 'nome', accountId: 'acc_b' });
    await importDataset(store, clock, { file: csv(512, 'Rezzoaglio Trasporti'), format: 'csv', name: 'di tutti', nameColumn: 'nome' });
    assert.deepEqual(names(await searchNames(store, 'rezzoaglio', { account: 'acc_a' })), [
      'Rezzoaglio Legnami',
      'Rezzoaglio Trasporti',
      'Comune di Rezzoaglio',
    ]);
    assert.deepEqual(names(await searchNames(store, 'marmi', { account: 'acc_a' })), []);
    assert.deepEqual(names(await searchNames(store, 'marmi', { account: 'acc_b' })), ['Rezzoaglio Marmi']);
    // The back office (no account) sees every dataset.
    assert.deepEqual(names(await searchNames(store, 'rezzoaglio')).length, 4);
  });

  test(`a broad word ranks at most ${SEARCH_CANDIDATES} candidates: its whole-word names first, then the words it starts in byte order`, async () => {
    await store.db
      .insertInto('datasets')
      .values({
        id: 'ds_broad',
        name: 'broad',
        format: 'csv',
        source_file: null,
        rows_read: 0,
        rows_imported: 0,
        rows_rejected: 0,
        imported_at: 0,
        managed_by: null,
      })
      .execute();
    // More names starting with "zeta" than the candidates, inserted before the one with the whole word and the alphabetically first ones.
    const rows = Array.from({ length: SEARCH_CANDIDATES + 50 }, (_, i) => ({ code: testCode(1000 + i), name: `Zetaz${String(i).padStart(4, '0')} Servizi` }));
    rows.push({ code: testCode(2000), name: 'Zetaa Primo' }, { code: testCode(2001), name: 'Officina Zeta' });
    await insertNames(store.db, 'ds_broad', rows);
    const page = await searchNames(store, 'zeta', { limit: 3 });
    assert.deepEqual(names(page), ['Officina Zeta', 'Zetaa Primo', 'Zetaz0000 Servizi']);
    // Pages stop with the candidates: the last ones of the range are never reached.
    const all: string[] = [];
    for (let offset: number | null = 0; offset !== null && offset <= 1000; ) {
      const p = await searchNames(store, 'zeta', { limit: 100, offset });
      all.push(...names(p));
      offset = p.nextOffset;
    }
    assert.equal(all.length, SEARCH_CANDIDATES);
    assert.ok(!all.includes(`Zetaz${String(SEARCH_CANDIDATES + 49).padStart(4, '0')} Servizi`));
    // A rarer word of the same query drives it instead: every match is ranked again.
    assert.deepEqual(names(await searchNames(store, `zeta zetaz${String(SEARCH_CANDIDATES + 49).padStart(4, '0')}`)), [
      `Zetaz${String(SEARCH_CANDIDATES + 49).padStart(4, '0')} Servizi`,
    ]);
  });

  test('erasing a code erases its name', async () => {
    const code = testCode(501);
    await importDataset(store, clock, {
      file: writeFile('persone.csv', `codice_fiscale,pec,nome\n${code},mario@pec.example.it,Mario Rossi\n`),
      format: 'csv',
      nameColumn: 'nome',
    });
    assert.deepEqual(names(await searchNames(store, 'rossi mario')), ['Mario Rossi']);
    const counts = await eraseCode(store, clock, code, { actor: 'cli' });
    assert.equal(counts.names, 1);
    assert.deepEqual(names(await searchNames(store, 'rossi mario')), []);
  });

  test('a refresh of the mirror leaves no gap: every search during it finds the body', async () => {
    // A file, so that searches read on their own connection while the swap writes (as in production).
    await store.destroy();
    store = await openTestStore(dialect, dialect === 'sqlite' ? dir : undefined);
    await loadMirror(store);
    let refreshing = true;
    const refresh = (async () => {
      for (let i = 1; i <= 3; i++) await loadMirror(store, undefined, 1_700_000_000_000 + i);
    })().finally(() => (refreshing = false));
    let searches = 0;
    // Bounded: the refreshes end; the bound only keeps a broken store from looping forever.
    while (refreshing && searches < 10_000) {
      const page = await searchNames(store, 'rezzoaglio');
      assert.deepEqual(names(page), ['Comune di Rezzoaglio']);
      assert.equal(page.items[0].pecs.length, 1);
      searches++;
    }
    await refresh;
    assert.ok(searches > 0);
    // One mirror dataset, its names only: the older ones went with their datasets.
    const rows = await store.db
      .selectFrom('name_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 52);
  });
});
