import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHarness, type Harness } from '../helpers/services.ts';
import { inlineRow, repeat, sheetOf, workbookParts, zipOf } from './zip-writer.ts';
import { assertProblemOrSuccess } from './answers.ts';

/**
 * XLSX "zip bombs" on POST /v1/batches: small uploads that inflate to hundreds of megabytes as
 * rows, one giant cell, one giant shared string, a flood of shared strings, a part the reader
 * ignores, or a sheet parked on disk because it comes before the shared strings. Each is
 * refused with 413 by the row limit or the inflation limits (src/batches/inflate-budget.ts),
 * the detail naming the limit that stopped it, while the process's memory stays flat; nothing
 * is left behind. No test times the refusal: a suite timeout only bounds a run that hangs.
 */

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MB = 1024 * 1024;
const MAX_INFLATED = 64 * MB;
const MEMORY_GROWTH_LIMIT = 120 * MB;

let h: Harness;
let key: string;

before(async () => {
  h = await createHarness('sqlite', { batchMaxRows: 1000, batchMaxInflatedBytes: MAX_INFLATED });
  ({ key } = await h.account({ billingMode: 'postpaid', creditLimitCents: null }));
});
after(() => h.close());

/** Uploads a workbook, sampling the heap (used + off-heap buffers) while it is processed. */
async function upload(file: Buffer): Promise<{ status: number; body: any; growth: number }> {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, used())), 2);
  try {
    const r = await h.app.inject({ method: 'POST', url: '/v1/batches', headers: { authorization: `Bearer ${key}`, 'content-type': XLSX }, payload: file });
    assertProblemOrSuccess(r, 'xlsx upload');
    return { status: r.statusCode, body: JSON.parse(r.body), growth: Math.max(peak, used()) - base };
  } finally {
    clearInterval(sampler);
  }
}

function assertRefused(r: Awaited<ReturnType<typeof upload>>, detail: RegExp): void {
  assert.equal(r.status, 413, JSON.stringify(r.body));
  assert.equal(r.body.code, 'payload_too_large');
  assert.match(r.body.detail, detail);
  assert.ok(r.growth < MEMORY_GROWTH_LIMIT, `memory grew by ${(r.growth / MB).toFixed(0)} MB`);
}

describe('XLSX bombs on POST /v1/batches', { timeout: 300_000 }, () => {
  test('the zip writer makes workbooks the reader accepts (the control case)', async () => {
    const file = await zipOf(workbookParts(sheetOf(() => [inlineRow(['partita iva']), inlineRow(['82003050109']), inlineRow(['00743110157'])])));
    const r = await upload(file);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.rows, r.body.validRows], [2, 2]);
  });

  test('2,000,000 rows (140 MB of XML in 500 KB) stop at the row limit, or at the inflation limit when the sheet must be parked', async () => {
    const rows = () => repeat(inlineRow(['00743110157']), 2_000_000);
    // With the shared strings first, rows stream and the row limit stops them.
    const streamed = await zipOf(workbookParts(sheetOf(rows), { sharedStrings: () => [Buffer.from('<sst/>')] }));
    assert.ok(streamed.length < 1 * MB, `${streamed.length} bytes`);
    assertRefused(await upload(streamed), /more than 1000 rows/);
    // Without them, exceljs must park the sheet before reading it: the inflation budget stops that.
    const parked = await zipOf(workbookParts(sheetOf(rows)));
    assertRefused(await upload(parked), /inflates to more than/);
  });

  test('one cell of 300 MB is refused at the size of one row', async () => {
    const file = await zipOf(
      workbookParts(
        sheetOf(function* () {
          yield Buffer.from('<row r="1"><c r="A1" t="inlineStr"><is><t>');
          yield* repeat(Buffer.alloc(MB, 'A'), 300);
          yield Buffer.from('</t></is></c></row>');
        }),
      ),
    );
    assertRefused(await upload(file), /a row in the XLSX file is over/);
  });

  test('one shared string of 300 MB is refused at the size of one string', async () => {
    const file = await zipOf(
      workbookParts(
        sheetOf(() => [Buffer.from('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')]),
        {
          sharedStrings: function* () {
            yield Buffer.from('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>');
            yield* repeat(Buffer.alloc(MB, 'B'), 300);
            yield Buffer.from('</t></si></sst>');
          },
        },
      ),
    );
    assertRefused(await upload(file), /a shared string in the XLSX file is over/);
  });

  test('a flood of small shared strings is refused at the shared-strings cap, before the sheet', async () => {
    const file = await zipOf(
      workbookParts(
        sheetOf(() => [inlineRow(['82003050109'])]),
        {
          sharedStrings: function* () {
            yield Buffer.from('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">');
            yield* repeat(Buffer.from('<si><t>82003050109</t></si>'.repeat(4096)), 1000);
            yield Buffer.from('</sst>');
          },
        },
      ),
    );
    const r = await upload(file);
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.match(r.body.detail, /inflates to more than/);
  });

  test('a part the reader ignores (1 GB of zeros) still counts against the inflation budget', async () => {
    const file = await zipOf(
      workbookParts(
        sheetOf(() => [inlineRow(['82003050109'])]),
        {
          extra: [{ name: 'docProps/app.xml', chunks: () => repeat(Buffer.alloc(MB), 1024) }],
        },
      ),
    );
    assertRefused(await upload(file), new RegExp(`inflates to more than ${MAX_INFLATED} bytes`));
  });

  test('a sheet parked on disk (shared strings after it) is bounded the same way and its temporary file removed', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('cercapec-xlsx-'));
    const file = await zipOf(
      workbookParts(
        sheetOf(() => repeat(Buffer.from('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'.repeat(1024)), 8192)),
        {
          sharedStrings: () => [Buffer.from('<sst><si><t>82003050109</t></si></sst>')],
          sharedStringsLast: true,
        },
      ),
    );
    assertRefused(await upload(file), /inflates to more than/);
    const left = readdirSync(tmpdir()).filter((n) => n.startsWith('cercapec-xlsx-') && !before.includes(n));
    assert.deepEqual(left, [], 'no temporary folder left behind');
  });

  test('a parked sheet refused after it was read (row limit, no column of codes) leaves no temporary file', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('cercapec-xlsx-'));
    const parkedRows = (cell: string, n: number) =>
      zipOf(
        workbookParts(
          sheetOf(() => repeat(Buffer.from(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>${cell}</t></is></c></row>`), n)),
          {
            sharedStrings: () => [Buffer.from('<sst><si><t>nome</t></si></sst>')],
            sharedStringsLast: true,
          },
        ),
      );
    const overRows = await upload(await parkedRows('00743110157', 5000));
    assertRefused(overRows, /more than 1000 rows/);
    const noCodes = await upload(await parkedRows('nessun codice', 50));
    assert.equal(noCodes.status, 400, JSON.stringify(noCodes.body));
    assert.match(noCodes.body.detail, /no column holds mostly valid codes/);
    const left = () => readdirSync(tmpdir()).filter((n) => n.startsWith('cercapec-xlsx-') && !before.includes(n));
    for (let i = 0; i < 100 && left().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(left(), [], 'the parked sheets were removed');
  });

  test('a parked sheet within the limits is read after the shared strings', async () => {
    const file = await zipOf(
      workbookParts(
        sheetOf(() => [Buffer.from('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="1"><c r="A1" t="s"><v>1</v></c></row>')]),
        {
          sharedStrings: () => [Buffer.from('<sst><si><t>partita iva</t></si><si><t>82003050109</t></si></sst>')],
          sharedStringsLast: true,
        },
      ),
    );
    const r = await upload(file);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.column, r.body.rows, r.body.validRows], ['partita iva', 1, 1]);
  });

  test('truncated and corrupted workbooks are a 400, not a hang', async () => {
    const good = await zipOf(workbookParts(sheetOf(() => repeat(inlineRow(['82003050109', 'Comune']), 200))));
    for (const cut of [10, 100, good.length >> 1, good.length - 30]) {
      const r = await upload(good.subarray(0, cut));
      assert.ok([400, 413].includes(r.status), `cut at ${cut}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    for (let i = 0; i < 20; i++) {
      const bad = Buffer.from(good);
      const at = 60 + ((i * 7919) % (bad.length - 120));
      bad[at] ^= 0xff;
      const r = await upload(bad);
      assert.ok([202, 400, 413].includes(r.status), `byte ${at} flipped: ${r.status} ${JSON.stringify(r.body)}`);
    }
  });
});

describe('XLSX parses are bounded (issue 15, item 2)', () => {
  let bounded: Harness;
  let boundedKey: string;
  let base: string;
  before(async () => {
    bounded = await createHarness('sqlite', { batchXlsxConcurrency: 1, batchXlsxWaitMs: 100 });
    ({ key: boundedKey } = await bounded.account({ billingMode: 'postpaid', creditLimitCents: null }));
    base = await bounded.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => bounded.close());

  const post = (body: string | Buffer | ReadableStream<Uint8Array>, type: string) =>
    fetch(`${base}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${boundedKey}`, 'content-type': type },
      body,
      duplex: 'half',
    } as RequestInit);

  test('while one XLSX is read, another waits, then gets 503 problem+json with Retry-After; CSV is not held back', async () => {
    const file = await zipOf(workbookParts(sheetOf(() => [inlineRow(['partita iva']), inlineRow(['82003050109'])])));
    // The first upload holds its slot: half of the file, then nothing until the test lets the rest go.
    let finish!: () => void;
    const rest = new Promise<void>((resolve) => (finish = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(file.subarray(0, 100));
        await rest;
        controller.enqueue(file.subarray(100));
        controller.close();
      },
    });
    const first = post(slow, XLSX);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const turnedAway = await post(file, XLSX);
    assert.equal(turnedAway.status, 503);
    assert.match(turnedAway.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(turnedAway.headers.get('retry-after'), '5');
    assert.match(((await turnedAway.json()) as { detail: string }).detail, /too many XLSX files/);
    const csv = await post('partita iva\n00743110157\n', 'text/csv');
    assert.equal(csv.status, 202, 'other formats do not wait for XLSX slots');
    finish();
    assert.equal((await first).status, 202);
    assert.equal((await post(file, XLSX)).status, 202, 'the slot is free again');
  });

  test('a bomb refused at the inflation budget frees its slot for the next upload', async () => {
    const bomb = await zipOf(
      workbookParts(
        sheetOf(() => [inlineRow(['82003050109'])]),
        { extra: [{ name: 'docProps/app.xml', chunks: () => repeat(Buffer.alloc(MB), 300) }] },
      ),
    );
    const refused = await post(bomb, XLSX);
    assert.equal(refused.status, 413);
    const file = await zipOf(workbookParts(sheetOf(() => [inlineRow(['partita iva']), inlineRow(['00743110157'])])));
    assert.equal((await post(file, XLSX)).status, 202, 'the refused parse released its slot');
  });
});
