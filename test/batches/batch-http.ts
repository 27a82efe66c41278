import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { cf11CheckDigit } from '../../src/taxid/index.ts';
import type { Harness } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait-for.ts';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * Raw HTTP to a listening harness, the way a client sends files: upload bodies are streams
 * (chunked, no Content-Length) cut into small pieces, so a BOM, a multi-byte character or a
 * JSON token can fall across two chunks.
 */
export function batchClient(base: string, defaultKey: string) {
  async function call(
    method: string,
    path: string,
    init: { key?: string; type?: string; body?: string | Uint8Array | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const key = init.key ?? defaultKey;
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(init.type ? { 'content-type': init.type } : {}), ...init.headers },
      body: init.body,
      ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const type = r.headers.get('content-type') ?? '';
    const bytes = Buffer.from(await r.arrayBuffer());
    // Decoded by hand: Response#text() drops a BOM, and the BOM is part of what is tested.
    const text = () => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const body = type.includes('json') ? JSON.parse(text()) : type.startsWith('text/') ? text() : bytes;
    return { status: r.status, headers: r.headers, body };
  }
  return {
    call,
    upload: (content: string | Uint8Array, type: string, query = '', key?: string) =>
      call('POST', `/v1/batches${query}`, { type, body: streamOf(content), key }),
    get: (path: string, key?: string) => call('GET', path, { key }),
  };
}

/** A stream of the content in pieces of `size` bytes. */
export function streamOf(content: string | Uint8Array, size = 7): ReadableStream<Uint8Array> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

export function isProblem(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(r.body.code, code);
}

/** A valid 11-digit code from a number: 7-digit matricola (never zero), office 001, check digit. */
export function cf11(n: number): string {
  const first10 = `${String(n).padStart(7, '0')}001`;
  return first10 + cf11CheckDigit(first10);
}

export async function xlsxOf(rows: unknown[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Foglio1');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The first sheet of an XLSX file, every cell as text, rows as wide as the widest. */
export async function xlsxRows(buffer: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const rows: string[][] = [];
  workbook.worksheets[0].eachRow((row) => {
    rows.push(Array.from((row.values as unknown[]).slice(1), (v) => (v === null || v === undefined ? '' : String(v))));
  });
  const width = Math.max(...rows.map((r) => r.length));
  return rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]); // trailing blanks are not stored
}

export function csvRows(text: string, delimiter = ','): string[][] {
  assert.ok(text.startsWith('\uFEFF'), 'CSV results start with a BOM');
  return parse(text, { bom: true, delimiter, relax_column_count: true }) as string[][];
}

/** Subscribes to every pending lookup of the batch (the worker is not running yet), starts the worker and waits for all answers. */
export async function answerBatch(h: Harness, batchId: string): Promise<void> {
  const rows = await h.store.db
    .selectFrom('batch_rows as br')
    .innerJoin('requests as r', 'r.id', 'br.request_id')
    .select('r.id')
    .distinct()
    .where('br.batch_id', '=', batchId)
    .where('r.status', 'in', ['queued', 'running'])
    .execute();
  const waits = rows.map((r) => h.services.notifier.waitForAnswer(r.id, 20_000));
  h.worker.start();
  assert.deepEqual(
    await Promise.all(waits),
    rows.map(() => true),
    'every lookup of the batch answered',
  );
  // The batch completes right after the commit that settles its last row (LookupDeps.settled),
  // which may run just after the answer's notification: wait for it unless a row still waits.
  await waitFor(
    async () => {
      const batch = await h.store.db.selectFrom('batches').select('status').where('id', '=', batchId).executeTakeFirstOrThrow();
      const waiting = await h.store.db
        .selectFrom('batch_rows as br')
        .innerJoin('requests as r', 'r.id', 'br.request_id')
        .select('r.id')
        .where('br.batch_id', '=', batchId)
        .where('r.status', 'in', ['queued', 'running', 'waiting_operator'])
        .execute();
      return { status: batch.status, waiting: waiting.length };
    },
    (v) => v.status === 'completed' || v.waiting > 0,
    'the batch to complete after its last answer',
  );
}
