import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { normalizeTaxId } from '../../src/taxid/normalize.ts';

const vectors = JSON.parse(readFileSync(new URL('../fixtures/taxid-vectors.json', import.meta.url), 'utf8')) as {
  valid: { code: string; normalized?: string }[];
  invalid: { code: string }[];
};

function cases(table: [input: string, expected: string][]): void {
  for (const [input, expected] of table) {
    assert.equal(normalizeTaxId(input), expected, JSON.stringify(input));
  }
}

test('trims and uppercases', () => {
  cases([
    ['  RSSMRA85T10A562S  ', 'RSSMRA85T10A562S'],
    ['rssmra95e05f205z', 'RSSMRA95E05F205Z'],
    ['VRNGNY07d68c3R1h', 'VRNGNY07D68C3R1H'],
    ['\tRSSMRA85T10A562S\r\n', 'RSSMRA85T10A562S'],
  ]);
});

test('uppercases ASCII letters only, so non-ASCII letters stay and are rejected later', () => {
  cases([
    ['RSSMRA85T10A562\u00DF', 'RSSMRA85T10A562\u00DF'], // "ß".toUpperCase() would be "SS"
    ['\u0131t00743110157', '\u0131T00743110157'], // dotless i would become "I"
    ['RSSMRA85T10A562\u00E8', 'RSSMRA85T10A562\u00E8'],
  ]);
});

test('removes whitespace, hyphens, colons and dots anywhere', () => {
  cases([
    ['CCC FBA 85 D03 L219 P', 'CCCFBA85D03L219P'],
    ['CCC-FBA-85-D03-L219-P', 'CCCFBA85D03L219P'],
    ['0074:311:015:7', '00743110157'],
    ['007.431.101.57', '00743110157'],
    ['RSSMRA85T10A562S\u00A0', 'RSSMRA85T10A562S'], // no-break space from copy-paste
    ['RSS\u2009MRA 85\tT10\nA562S', 'RSSMRA85T10A562S'],
    [' - . : ', ''],
    ['', ''],
  ]);
});

test('keeps every other punctuation for the validator to reject', () => {
  cases([
    ['DML PRY/77D15H501-F', 'DMLPRY/77D15H501F'],
    ['RSSMRA85T10A562_S', 'RSSMRA85T10A562_S'],
    ['00743110157,', '00743110157,'],
    ['RSSMRA85T10\u200BA562S', 'RSSMRA85T10\u200BA562S'], // zero-width space is not whitespace
  ]);
});

test('strips a single IT prefix when exactly 11 digits follow', () => {
  cases([
    ['IT00743110157', '00743110157'],
    ['it00743110157', '00743110157'],
    ['IT 00743110157', '00743110157'],
    ['IT 00 595 000 217', '00595000217'],
    ['IT - 01404480202', '01404480202'],
    ['IT-09159800011', '09159800011'],
    ['IT: 02331250163', '02331250163'],
    ['IT 0 0 6 1 8 2 8 0 4 9 9', '00618280499'],
  ]);
});

test('keeps the IT prefix when it is not followed by exactly 11 digits', () => {
  cases([
    ['IT IT 06863340961', 'ITIT06863340961'], // duplicated prefix: only one is ever stripped
    ['IT 0074311015', 'IT0074311015'], // 10 digits: a lost leading zero
    ['IT123456789101', 'IT123456789101'],
    ['ITRSSMRA85T10A562S', 'ITRSSMRA85T10A562S'], // no IT prefix on a CF16
    ['IT0074311015A', 'IT0074311015A'],
    ['IT', 'IT'],
    ['GB12345678910', 'GB12345678910'],
    ['00743110157IT', '00743110157IT'],
  ]);
});

test('matches the normalised form of every valid vector', () => {
  for (const vector of vectors.valid) {
    assert.equal(normalizeTaxId(vector.code), vector.normalized ?? vector.code, vector.code);
  }
});

test('is idempotent on every vector', () => {
  for (const { code } of [...vectors.valid, ...vectors.invalid]) {
    const once = normalizeTaxId(code);
    assert.equal(normalizeTaxId(once), once, code);
  }
});
