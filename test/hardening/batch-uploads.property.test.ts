import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { createHarness, type Harness } from '../helpers/services.ts';
import { assertProblemOrSuccess, hostileBytes, hostileText } from './answers.ts';
import { inlineRow, sheetOf, workbookParts, zipOf } from './zip-writer.ts';

/**
 * Hostile uploads on POST /v1/batches, generated: CSV that is ragged, quoted wrong, in UTF-16 or
 * Latin-1, with huge lines and headers; JSON that is not an array, not JSON or not UTF-8; XLSX
 * that is garbage or a real workbook with bytes flipped; any content type, ?column= value and
 * size. Every answer is a 202 batch or a 4xx problem; the whole upload is refused (nothing
 * stored) or accepted, never half.
 */

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
let h: Harness;
let key: string;
let workbook: Buffer;

before(async () => {
  h = await createHarness('sqlite', { batchMaxRows: 500, batchMaxBytes: 64 * 1024 });
  ({ key } = await h.account({ billingMode: 'postpaid', creditLimitCents: null }));
  workbook = await zipOf(
    workbookParts(sheetOf(() => [inlineRow(['Partita IVA', 'Nome']), inlineRow(['82003050109', 'Rezzoaglio']), inlineRow(['00743110157', 'Milano'])])),
  );
});
after(() => h.close());

const cell = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  { weight: 2, arbitrary: fc.constantFrom('82003050109', 'RSSMRA85T10A562S', 'IT 00743110157', '0', '"', '""', '"a;b"', '=cmd|calc', '\uFEFF') },
);
const csv = fc
  .tuple(
    fc.array(fc.array(cell, { minLength: 0, maxLength: 6 }), { minLength: 0, maxLength: 40 }),
    fc.constantFrom(',', ';', '\t'),
    fc.constantFrom('\n', '\r\n', '\r'),
    fc.boolean(),
  )
  .map(([rows, sep, eol, bom]) => (bom ? '\uFEFF' : '') + rows.map((r) => r.join(sep)).join(eol));

type Upload = { type: string; body: Buffer; query?: string };
const upload: fc.Arbitrary<Upload> = fc
  .oneof(
    { weight: 4, arbitrary: csv.map((text): Upload => ({ type: 'text/csv', body: Buffer.from(text) })) },
    { weight: 1, arbitrary: csv.map((text): Upload => ({ type: 'text/csv; charset=utf-16', body: Buffer.from(text, 'utf16le') })) },
    { weight: 1, arbitrary: csv.map((text): Upload => ({ type: 'text/csv', body: Buffer.from(text, 'latin1') })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('a', '"', '82003050109,'))
        .map(([k, c]): Upload => ({ type: 'text/csv', body: Buffer.from(`codice\n${c.repeat(k * 30_000)}\n82003050109\n`) })),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v): Upload => ({ type: 'application/json', body: Buffer.from(JSON.stringify(v) ?? 'null') })) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof(cell, fc.record({ code: cell, ref: fc.jsonValue({ maxDepth: 1 }) }), fc.integer()), { maxLength: 30 })
        .map((a): Upload => ({ type: 'application/json', body: Buffer.from(JSON.stringify(a)) })),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((t): Upload => ({ type: 'application/json', body: Buffer.from(`[${t}`) })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('text/csv', 'application/json', XLSX), hostileBytes).map(([type, b]): Upload => ({ type, body: b })) },
    {
      weight: 2,
      arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((at): Upload => {
        const bad = Buffer.from(workbook);
        for (const i of at) bad[30 + (i % (bad.length - 30))] ^= 0x5a;
        return { type: XLSX, body: bad };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x', '', 'text/csv; charset=')
        .map((type): Upload => ({ type, body: Buffer.from('codice\n82003050109\n') })),
    },
  )
  .chain((u) =>
    fc.option(hostileText, { nil: undefined }).map((column) => ({ ...u, query: column === undefined ? '' : `?column=${encodeURIComponent(column)}` })),
  );

async function batchCount(): Promise<number> {
  const row = await h.store.db
    .selectFrom('batches')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('batch uploads: generated hostile files', () => {
  test('CSV, JSON and XLSX of any shape: a 202 batch or a 4xx problem, and a refusal stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(upload, fc.boolean(), async (u, chunked) => {
        const before = await batchCount();
        // Streamed in small chunks (no Content-Length) or sent whole.
        const payload = chunked
          ? Readable.from(Array.from({ length: Math.ceil(u.body.length / 997) }, (_, i) => u.body.subarray(i * 997, (i + 1) * 997)))
          : u.body;
        const headers: Record<string, string> = { authorization: `Bearer ${key}` };
        if (u.type) headers['content-type'] = u.type;
        const r = await h.app.inject({ method: 'POST', url: `/v1/batches${u.query ?? ''}`, headers, payload });
        const what = `${u.type} ${u.query} ${u.body.subarray(0, 120).toString('latin1')}`;
        assertProblemOrSuccess(r, what);
        assert.ok([202, 400, 413, 415].includes(r.statusCode), `${what}: ${r.statusCode} ${r.body.slice(0, 200)}`);
        assert.equal(await batchCount(), before + (r.statusCode === 202 ? 1 : 0), `${what}: a refused upload leaves no batch`);
      }),
      { numRuns: 150 },
    );
  });

  test('uploads over the byte limit are 413 whether Content-Length says so or not', async () => {
    const big = Buffer.from(`codice\n${'82003050109\n'.repeat(10_000)}`);
    const declared = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      payload: big,
    });
    assert.equal(declared.statusCode, 413, declared.body);
    const streamed = await h.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      payload: Readable.from([big.subarray(0, 40_000), big.subarray(40_000)]),
    });
    assert.equal(streamed.statusCode, 413, streamed.body);
    assert.match(JSON.parse(streamed.body).detail, /over 65536 bytes|more than 500 rows/);
  });
});
