import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeText, detectDelimiter } from '../../src/client/decode-text.ts';

test('decodeText: UTF-8 with and without BOM, UTF-16LE, else Windows-1252', () => {
  const text = 'città;€ 5\n';
  assert.deepEqual(decodeText(Buffer.from(`\ufeff${text}`, 'utf8')), { text, encoding: 'utf-8-bom' });
  assert.deepEqual(decodeText(Buffer.from(text, 'utf8')), { text, encoding: 'utf-8' });
  assert.deepEqual(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), { text, encoding: 'utf-16le' });
  // "città;€ 5" in Windows-1252: à is 0xE0, € is 0x80 (which latin1 would not map).
  const cp1252 = Buffer.from([0x63, 0x69, 0x74, 0x74, 0xe0, 0x3b, 0x80, 0x20, 0x35, 0x0a]);
  assert.deepEqual(decodeText(cp1252), { text, encoding: 'windows-1252' });
  // Curly quotes from Word (0x92) and the five bytes the table leaves undefined (0x81 stays U+0081).
  assert.equal(decodeText(Buffer.from([0x6c, 0x92, 0x61, 0x81])).text, 'l\u2019a\u0081');
});

test('detectDelimiter: the most frequent of ; , tab in the header, outside quotes', () => {
  assert.equal(detectDelimiter('a;b;c\n1,5;2;3'), ';');
  assert.equal(detectDelimiter('a,b,c\n'), ',');
  assert.equal(detectDelimiter('"ragione; sociale",piva\n'), ',');
  assert.equal(detectDelimiter('a\tb\n'), '\t');
  assert.equal(detectDelimiter('\n\npiva\n'), ',');
});
