import { createDeflateRaw, crc32 } from 'node:zlib';

/**
 * A minimal zip writer for hostile XLSX files: each entry's content comes as chunks that are
 * deflated as they are produced, so a part that inflates to gigabytes is written without ever
 * being held (the test process would otherwise measure its own memory). Entries are written in
 * the order given: the order is part of what is tested.
 */
export interface ZipEntrySource {
  name: string;
  /** The content, in chunks (a generator may repeat one buffer many times). */
  chunks: () => Iterable<Buffer>;
  /** Store without compressing (method 0). */
  stored?: boolean;
}

export async function zipOf(entries: ZipEntrySource[]): Promise<Buffer> {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const { data, crc, size } = await compress(entry);
    const name = Buffer.from(entry.name, 'utf8');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0800, 6);
    header.writeUInt16LE(entry.stored ? 0 : 8, 8);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(size >>> 0, 22);
    header.writeUInt16LE(name.length, 26);
    local.push(header, name, data);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(entry.stored ? 0 : 8, 10);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(size >>> 0, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    central.push(dir, name);
    offset += header.length + name.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

async function compress(entry: ZipEntrySource): Promise<{ data: Buffer; crc: number; size: number }> {
  let crc = 0;
  let size = 0;
  if (entry.stored) {
    const parts = [...entry.chunks()];
    for (const p of parts) {
      crc = crc32(p, crc);
      size += p.length;
    }
    return { data: Buffer.concat(parts), crc, size };
  }
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => deflate.once('end', resolve).once('error', reject));
  // Small chunks (one row each) are gathered into 1 MB writes: a write per row took minutes.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const block = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    if (!deflate.write(block)) await new Promise((resolve) => deflate.once('drain', resolve));
  };
  for (const chunk of entry.chunks()) {
    crc = crc32(chunk, crc);
    size += chunk.length;
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= 1024 * 1024) await flush();
  }
  await flush();
  deflate.end();
  await done;
  return { data: Buffer.concat(out), crc, size };
}

/** `times` repetitions of one buffer, as chunks. */
export function* repeat(chunk: Buffer, times: number): Iterable<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

const text = (s: string) => () => [Buffer.from(s)];

/**
 * The parts of a minimal workbook around a first sheet, in the order Excel writes them
 * (relationships and workbook before the sheet). `sharedStrings` adds that part before the sheet
 * unless `sharedStringsLast`.
 */
export function workbookParts(
  sheet: () => Iterable<Buffer>,
  options: { sharedStrings?: () => Iterable<Buffer>; sharedStringsLast?: boolean; extra?: ZipEntrySource[] } = {},
): ZipEntrySource[] {
  const shared = options.sharedStrings ? [{ name: 'xl/sharedStrings.xml', chunks: options.sharedStrings }] : [];
  return [
    {
      name: '[Content_Types].xml',
      chunks: text(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
      ),
    },
    {
      name: '_rels/.rels',
      chunks: text(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
      ),
    },
    ...(options.extra ?? []),
    {
      name: 'xl/workbook.xml',
      chunks: text(
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Foglio1" sheetId="1" r:id="rId1"/></sheets></workbook>',
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      chunks: text(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
      ),
    },
    ...(options.sharedStringsLast ? [] : shared),
    { name: 'xl/worksheets/sheet1.xml', chunks: sheet },
    ...(options.sharedStringsLast ? shared : []),
  ];
}

export const SHEET_HEAD = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
);
export const SHEET_TAIL = Buffer.from('</sheetData></worksheet>');

/** A sheet: the head, then the body chunks, then the tail. */
export function sheetOf(body: () => Iterable<Buffer>): () => Iterable<Buffer> {
  return function* () {
    yield SHEET_HEAD;
    yield* body();
    yield SHEET_TAIL;
  };
}

/**
 * One row of inline-string cells. exceljs requires row and cell references; every row says it
 * is row 1 (each is still read as a row of its own), so identical rows compress as a bomb's do.
 */
export function inlineRow(cells: string[]): Buffer {
  return Buffer.from(`<row r="1">${cells.map((c, i) => `<c r="${String.fromCharCode(65 + i)}1" t="inlineStr"><is><t>${c}</t></is></c>`).join('')}</row>`);
}
