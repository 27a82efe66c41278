import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHarness } from '../helpers/services.ts';
import { batchClient, cf11 } from './batch-http.ts';
import { generatedCsv } from '../../bench/lib/generated-csv.ts';

// A real collection before the baseline, so the growth measured is what the batch keeps.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 100_000;
const MB = 1024 * 1024;

/**
 * Growth above a baseline taken after a collection: the peak of heapUsed and RSS sampled every
 * 10 ms (garbage not yet collected included), and the live heap, measured after a forced full
 * collection every 250 ms: what the work actually keeps.
 */
function memoryPeaks() {
  gc();
  const base = process.memoryUsage();
  const peak = { heap: base.heapUsed, rss: base.rss, live: base.heapUsed };
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    peak.heap = Math.max(peak.heap, now.heapUsed);
    peak.rss = Math.max(peak.rss, now.rss);
  }, 10).unref(); // unref: a failed assertion must not leave the process running
  const collect = setInterval(() => {
    gc();
    peak.live = Math.max(peak.live, process.memoryUsage().heapUsed);
  }, 250).unref();
  return {
    stop() {
      clearInterval(sample);
      clearInterval(collect);
      const mb = (n: number) => Math.round((n / MB) * 10) / 10;
      return { heapMb: mb(peak.heap - base.heapUsed), liveMb: mb(peak.live - base.heapUsed), rssMb: mb(peak.rss - base.rss) };
    },
  };
}

/** Reads a streamed result line by line, checking each line in order, without keeping it. */
async function eachLine(body: ReadableStream<Uint8Array>, check: (line: string, index: number) => void): Promise<number> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let partial = '';
  let lines = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    const parts = (partial + decoder.decode(chunk, { stream: true })).split(/\r?\n/);
    partial = parts.pop()!;
    for (const line of parts) check(line, lines++);
  }
  assert.equal(partial, '');
  return lines;
}

const checkCsv = (line: string, i: number) => {
  if (i === 0) assert.equal(line, '\uFEFFn;codice fiscale;nota;code;status;pec;addresses;source;error');
  else assert.ok(line.startsWith(`${i - 1};${cf11(i)};riga ${i - 1};${cf11(i)};queued;`), `line ${i}: ${line}`);
};

const checkJson = (line: string, i: number) => {
  if (i === 0 || i === ROWS + 1) assert.equal(line, i === 0 ? '[' : ']');
  else assert.ok(line.startsWith(`{"row":${i},"input":{"n":"${i - 1}","codice fiscale":"${cf11(i)}"`), `line ${i}: ${line}`);
};

async function byteCount(body: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

test(`a batch of ${ROWS} codes is uploaded and its results downloaded in bounded memory [sqlite]`, { timeout: 120_000 }, async (t) => {
  const h = await createHarness('sqlite');
  t.after(() => h.close());
  const { key } = await h.account({ priceCents: 1, initialCreditCents: ROWS });
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const client = batchClient(base, key);

  // Memory only: how long the upload takes and how long it holds the event loop depend on the
  // machine's load; `npm run bench -- batch-upload-stall` measures them.
  let memory = memoryPeaks();
  const created = await client.call('POST', '/v1/batches?column=codice%20fiscale', { type: 'text/csv', body: generatedCsv(ROWS, (i) => cf11(i + 1)) });
  const upload = memory.stop();
  assert.equal(created.status, 202, JSON.stringify(created.body));
  assert.deepEqual(
    [created.body.rows, created.body.validRows, created.body.distinctCodes, created.body.newLookups, created.body.chargedCents],
    [ROWS, ROWS, ROWS, ROWS, ROWS],
  );
  assert.equal((await client.get('/v1/account')).body.balanceCents, 0, 'every code charged exactly once');

  const results = (format: string) => fetch(`${base}/v1/batches/${created.body.id}/results?format=${format}`, { headers: { authorization: `Bearer ${key}` } });
  const downloads: Record<string, { heapMb: number; liveMb: number; rssMb: number }> = {};
  for (const format of ['csv', 'json', 'xlsx']) {
    memory = memoryPeaks();
    const r = await results(format);
    assert.equal(r.status, 200);
    if (format === 'csv') assert.equal(await eachLine(r.body!, checkCsv), ROWS + 1);
    else if (format === 'json') assert.equal(await eachLine(r.body!, checkJson), ROWS + 2);
    else assert.ok((await byteCount(r.body!)) > 1_000_000, 'a 100,000-row workbook');
    downloads[format] = memory.stop();
  }

  const line = (what: string, m: { heapMb: number; liveMb: number; rssMb: number }) =>
    `${what}: heap peak +${m.heapMb} MB, live +${m.liveMb} MB, rss +${m.rssMb} MB`;
  t.diagnostic(line('upload', upload));
  for (const [format, d] of Object.entries(downloads)) t.diagnostic(line(`results ${format}`, d));
  // What is kept stays flat (a chunk, a page); the peaks add garbage not yet collected. RSS is
  // not bounded for the upload: the in-memory SQLite store grows by the rows, requests, charges
  // and jobs of 100,000 lookups, in native memory.
  for (const [what, m] of [['upload', upload], ...Object.entries(downloads)] as const) {
    assert.ok(m.liveMb < 32, `${what}: live heap growth ${m.liveMb} MB`);
    assert.ok(m.heapMb < 150, `${what}: peak heap growth ${m.heapMb} MB`);
  }
  for (const [format, d] of Object.entries(downloads)) assert.ok(d.rssMb < 200, `results ${format}: RSS growth ${d.rssMb} MB`);
});
