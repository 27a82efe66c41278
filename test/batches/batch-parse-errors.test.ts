import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';
import { sheetOf, workbookParts, zipOf } from '../hardening/zip-writer.ts';
import { XLSX } from './batch-http.ts';

/**
 * Uploads that break a parser are refused with a fixed, user-facing detail: never the text of
 * the exception a library or the runtime threw (issue 15, item 5).
 */
const INTERNAL = /Cannot read|undefined|Maximum call stack|TypeError|RangeError|Unexpected token|position \d|at \w+ \(/;

let h: Harness;
let key: string;
before(async () => {
  h = await createHarness('sqlite');
  ({ key } = await h.account({ billingMode: 'postpaid', creditLimitCents: null }));
});
after(() => h.close());

async function upload(type: string, payload: string | Buffer, url = '/v1/batches') {
  const r = await h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': type }, payload });
  return { status: r.statusCode, type: String(r.headers['content-type']), body: JSON.parse(r.body) };
}

describe('batch parse failures answer stable messages', () => {
  test('an XLSX whose cells lack their "r" reference', async () => {
    const file = await zipOf(
      workbookParts(
        sheetOf(() => [Buffer.from('<row><c t="inlineStr"><is><t>82003050109</t></is></c></row><row><c t="inlineStr"><is><t>00743110157</t></is></c></row>')]),
      ),
    );
    const r = await upload(XLSX, file);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.type, /application\/problem\+json/);
    assert.doesNotMatch(r.body.detail, INTERNAL);
    assert.match(r.body.detail, /unreadable XLSX workbook/);
  });

  test('a deeply nested JSON element', async () => {
    const r = await upload('application/json', `[${'['.repeat(20_000)}${']'.repeat(20_000)}]`);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.doesNotMatch(r.body.detail, INTERNAL);
    assert.match(r.body.detail, /array element 1 is nested more than 32 levels deep/);
  });

  test('a deep object that JSON.parse takes but that is not a row, and broken JSON', async () => {
    const deep = `[{"code":"82003050109","x":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}]`;
    const ok = await upload('application/json', deep);
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    const broken = await upload('application/json', '["82003050109", {"code": 00743110157 x}]');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.detail, 'invalid JSON in array element 2');
  });

  test('a CSV record that never closes its quote', async () => {
    const r = await upload('text/csv', `codice\n"${'x'.repeat(70_000)}\n82003050109\n`);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.doesNotMatch(r.body.detail, INTERNAL);
    assert.match(r.body.detail, /^unreadable CSV file/);
  });

  test('a deeply nested JSON body on POST /v1/lookups', async () => {
    const r = await upload('application/json', `{"code":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, '/v1/lookups');
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.doesNotMatch(r.body.detail ?? '', INTERNAL);
  });
});
