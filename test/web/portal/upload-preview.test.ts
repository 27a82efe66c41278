/**
 * The preview of a stored upload reads only the start of the file, whatever its size, and the
 * count pass reads it whole once, holding only the distinct codes: checked on a 100,000-row CSV
 * (the bytes read from disk are counted) and on an XLSX workbook.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { countUpload, previewUpload, PREVIEW_ROWS } from '../../../src/web/portal/upload-preview.ts';
import { findUpload, purgeUploads, readUpload, saveUpload, UPLOAD_TTL_MS } from '../../../src/web/portal/upload-store.ts';
import { BatchError } from '../../../src/batches/batch-error.ts';
import { cf11 } from '../../admin/admin-fixture.ts';

const ROWS = 100_000;

describe('portal upload preview', () => {
  let dir: string;
  let big: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cercapec-preview-'));
    big = join(dir, 'big.csv');
    const lines = ['riferimento;piva'];
    for (let i = 0; i < ROWS; i++) lines.push(`pratica ${i};${cf11(1 + (i % 5000))}`);
    await writeFile(big, lines.join('\n') + '\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a 100,000-row CSV: the preview reads its first rows only; the count reads it once', async () => {
    const size = (await stat(big)).size;
    const stream = createReadStream(big, { highWaterMark: 64 * 1024 });
    const preview = await previewUpload(stream, 'csv', undefined);
    assert.deepEqual(preview.columns, ['riferimento', 'piva']);
    assert.equal(preview.codeColumn, 'piva');
    assert.equal(preview.rows.length, PREVIEW_ROWS);
    assert.deepEqual(preview.rows[0], ['pratica 0', cf11(1)]);
    assert.ok(stream.bytesRead <= 256 * 1024, `preview read ${stream.bytesRead} of ${size} bytes`);

    const counts = await countUpload(createReadStream(big), 'csv', 'piva', ROWS);
    assert.deepEqual(counts, { total: ROWS, valid: ROWS, invalid: 0, distinct: 5000, tooMany: false });
    assert.equal((await countUpload(createReadStream(big), 'csv', 'piva', ROWS - 1)).tooMany, true);
  });

  test('an XLSX workbook previews and counts; a column that does not exist is refused; no code column is no detection', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Foglio1');
    sheet.addRow(['nome', 'codice']);
    for (let i = 1; i <= 30; i++) sheet.addRow([`ditta ${i}`, cf11(i)]);
    const file = join(dir, 'book.xlsx');
    await book.xlsx.writeFile(file);
    const preview = await previewUpload(createReadStream(file), 'xlsx', undefined);
    assert.equal(preview.codeColumn, 'codice');
    assert.deepEqual(preview.rows[1], ['ditta 2', cf11(2)]);
    assert.equal((await countUpload(createReadStream(file), 'xlsx', 'codice', 1000)).valid, 30);
    await assert.rejects(previewUpload(createReadStream(file), 'xlsx', 'nessuna'), BatchError);
    const none = await previewUpload(Readable.from([Buffer.from('a;b\nx;y\n')]), 'csv', undefined);
    assert.equal(none.codeColumn, null);
    assert.deepEqual(none.columns, ['a', 'b']);
  });

  test('stored uploads: over the byte limit nothing is kept; another account or an expired upload is unknown; old files are purged', async () => {
    const store = join(dir, 'uploads');
    await assert.rejects(
      saveUpload(store, Readable.from([Buffer.alloc(2048)]), { accountId: 'acc_a', filename: 'x.csv', format: 'csv', createdAt: 0 }, 1024),
      BatchError,
    );
    const meta = await saveUpload(store, Readable.from([Buffer.from('cf\n')]), { accountId: 'acc_a', filename: 'x.csv', format: 'csv', createdAt: 1000 }, 1024);
    assert.equal(meta.bytes, 3);
    assert.ok(await findUpload(store, meta.id, 'acc_a', 2000));
    assert.equal(await findUpload(store, meta.id, 'acc_b', 2000), null);
    assert.equal(await findUpload(store, meta.id, 'acc_a', 1000 + UPLOAD_TTL_MS), null);
    assert.equal(await findUpload(store, '../../etc/passwd', 'acc_a', 2000), null);
    let text = '';
    for await (const chunk of readUpload(store, meta.id)) text += chunk;
    assert.equal(text, 'cf\n');
    assert.equal(await purgeUploads(store, Date.now() + UPLOAD_TTL_MS + 1000), 2, 'the upload and its metadata');
    assert.equal(await findUpload(store, meta.id, 'acc_a', 2000), null);
  });
});
