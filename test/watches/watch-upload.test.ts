import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/stores.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { cf11, XLSX, xlsxOf } from '../batches/batch-http.ts';

/** Issue 16: POST /v1/watches also takes a CSV or XLSX file, beyond the 10,000 codes of a JSON call, within the batch limits. */

const MAX_ROWS = 10_050;

await eachDialect(describe, 'watches from a CSV or XLSX upload', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(dialect, { batchMaxRows: MAX_ROWS, batchMaxBytes: 300_000 });
  });
  afterEach(async () => {
    await h.close();
  });

  const upload = async (key: string, type: string, payload: string | Buffer, query = '') => {
    const res = await h.app.inject({ method: 'POST', url: `/v1/watches${query}`, payload, headers: { authorization: `Bearer ${key}`, 'content-type': type } });
    return { status: res.statusCode, body: res.json() as any, type: String(res.headers['content-type'] ?? '') };
  };
  const watched = (accountId: string) => h.store.db.selectFrom('watches').select('code').where('account_id', '=', accountId).execute();

  test('a CSV of more than 10,000 codes: the code column is found, counts of added, already watched and rejected', async () => {
    const { id, key } = await h.account();
    const codes = Array.from({ length: 10_010 }, (_, i) => cf11(i + 1));
    const csv = ['ragione_sociale;partita_iva', ...codes.map((c, i) => `Ditta ${i};${c}`), 'Ditta X;12345', 'Ditta Y;ABC'].join('\n');
    const first = await upload(key, 'text/csv', csv);
    assert.equal(first.status, 200, JSON.stringify(first.body).slice(0, 300));
    assert.deepEqual([first.body.added, first.body.alreadyWatched, first.body.rejected.length], [10_010, 0, 2]);
    assert.deepEqual(
      first.body.rejected.map((r: any) => r.input),
      ['12345', 'ABC'],
    );
    assert.equal((await watched(id)).length, 10_010);
    const again = await upload(key, 'text/csv; charset=utf-8', `partita_iva\n${codes[0]}\n${cf11(20_000)}\n`);
    assert.deepEqual([again.body.added, again.body.alreadyWatched, again.body.rejected.length], [1, 1, 0]);
    const other = await h.account();
    assert.equal((await watched(other.id)).length, 0, 'another account watches nothing');
  });

  test('an XLSX with ?column= and ?reference=; limits give 413; a file of only invalid codes is 422; other types 415', async () => {
    const { id, key } = await h.account();
    const file = await xlsxOf([
      ['codice', 'piva'],
      ['x', cf11(1)],
      ['y', cf11(2)],
      ['z', 'nonvalido'],
    ]);
    const added = await upload(key, XLSX, file, '?column=piva&reference=clienti%202026');
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual([added.body.added, added.body.rejected.length], [2, 1]);
    const rows = await h.store.db.selectFrom('watches').select(['code', 'reference']).where('account_id', '=', id).orderBy('code').execute();
    assert.deepEqual(rows, [
      { code: cf11(1), reference: 'clienti 2026' },
      { code: cf11(2), reference: 'clienti 2026' },
    ]);

    const tooMany = await upload(key, 'text/csv', ['piva', ...Array.from({ length: MAX_ROWS + 1 }, (_, i) => cf11(i + 1))].join('\n'));
    assert.equal(tooMany.status, 413);
    assert.match(tooMany.type, /problem\+json/);
    const tooBig = await upload(key, 'text/csv', `piva\n${'1'.repeat(300_001)}`);
    assert.equal(tooBig.status, 413);
    assert.equal((await watched(id)).length, 2, 'nothing added by a refused file');

    assert.equal((await upload(key, 'text/csv', 'piva\nnonvalido\n', '?column=piva')).status, 422);
    assert.equal((await upload(key, 'text/csv', 'piva\nnonvalido\n')).status, 400, 'no column of codes found');
    assert.equal((await upload(key, 'text/plain', 'x')).status, 415);
    assert.equal((await upload(key, 'text/csv', '')).status, 400);
    const json = await h.app.inject({ method: 'POST', url: '/v1/watches', payload: { codes: [cf11(3)] }, headers: { authorization: `Bearer ${key}` } });
    assert.equal(json.json().added, 1, 'JSON still works');
    const badJson = await h.app.inject({ method: 'POST', url: '/v1/watches', payload: { codici: [] }, headers: { authorization: `Bearer ${key}` } });
    assert.equal(badJson.statusCode, 400);
  });

  test('the OpenAPI document lists the three bodies of POST /v1/watches', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as any;
    const content = doc.paths['/v1/watches'].post.requestBody.content;
    assert.deepEqual(Object.keys(content).sort(), ['application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv']);
    assert.equal(content['application/json'].schema.$ref, '#/components/schemas/WatchAdd');
    assert.ok(doc.components.schemas.WatchAdd, 'WatchAdd is a component');
  });
});
