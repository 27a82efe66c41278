import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { AdminClient, staff } from '../admin/admin-fixture.ts';
import { loadMirror } from './fixture.ts';

describe('back office: search by name on the requests page', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness('sqlite', { adminLoginsPerMinute: 0 });
    await staff(h.store, h.clock.now());
    await loadMirror(h.store);
  });
  afterEach(() => h.close());

  test('lists the names found with code, IPA code, place, PEC and source, escaped; Italian first, English on request', async () => {
    const operator = await AdminClient.signedIn(h.app, 'otto');
    const empty = await operator.get('/admin/requests');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /<input type="search" id="f-name" name="name"/);
    assert.doesNotMatch(empty.body, /id="name-results"/);

    const res = await operator.get(`/admin/requests?name=${encodeURIComponent('comune di rezzo')}`);
    assert.equal(res.statusCode, 200);
    const table = /<table id="name-results">([\s\S]*?)<\/table>/.exec(res.body)?.[1] ?? '';
    assert.match(table, /Nomi trovati per «comune di rezzo»/);
    const rows = table.split('<tr>').slice(2);
    assert.equal(rows.length, 2);
    assert.match(rows[0], /84000950133[\s\S]*c_h259[\s\S]*Comune di Val Rezzo[\s\S]*\(CO\)[\s\S]*comune\.valrezzo@pec\.regione\.lombardia\.it[\s\S]*IPA/);
    assert.match(rows[1], /82003050109[\s\S]*Comune di Rezzoaglio[\s\S]*protocollo@pec\.comune\.rezzoaglio\.ge\.it/);
    assert.match(rows[1], /href="\/admin\/requests\?code=82003050109"/);

    // The query comes back in the page escaped; an apostrophe name is shown escaped too.
    const xss = await operator.get(`/admin/requests?name=${encodeURIComponent('<di>ricco')}`);
    assert.doesNotMatch(xss.body, /<di>ricco/);
    assert.match(xss.body, /Comune di Ricco&#39;|Comune di Ricco&#x27;/);

    const bad = await operator.get(`/admin/requests?name=${encodeURIComponent('?!')}`);
    assert.equal(bad.statusCode, 200);
    assert.match(bad.body, /Scrivi almeno una lettera o una cifra/);
    const english = await operator.get(`/admin/requests?lang=en&name=rezzoaglio`);
    assert.match(english.body, /Names found for/);

    // Staff searches are not charged to anyone.
    assert.equal((await h.store.db.selectFrom('ledger').select('id').where('kind', '=', 'search').execute()).length, 0);
  });
});
