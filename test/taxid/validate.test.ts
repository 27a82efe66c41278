import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cf11CheckDigit, cf16CheckChar, officeCodeInVatRange, validateTaxId, type InvalidReason, type TaxIdResult } from '../../src/taxid/index.ts';

interface ValidVector {
  code: string;
  kind: 'cf16' | 'piva' | 'cf11';
  normalized?: string;
  office_code?: string;
}
interface InvalidVector {
  code: string;
  reason: string;
  kind_hint: string;
  expected_check_char?: string;
}
const vectors = JSON.parse(readFileSync(new URL('../fixtures/taxid-vectors.json', import.meta.url), 'utf8')) as {
  valid: ValidVector[];
  invalid: InvalidVector[];
};

/** Appends the correct check letter, so a test can vary one field and keep the rest valid. */
function cf16(first15: string): string {
  return first15 + cf16CheckChar(first15);
}

/** Appends the correct check digit to 10 digits. */
function cf11(first10: string): string {
  return first10 + cf11CheckDigit(first10);
}

function invalid(input: string): Extract<TaxIdResult, { valid: false }> {
  const result = validateTaxId(input);
  assert.equal(result.valid, false, `${input} should be invalid`);
  return result as Extract<TaxIdResult, { valid: false }>;
}

function assertReason(input: string, reason: InvalidReason, messagePart?: string): void {
  const result = invalid(input);
  assert.equal(result.reason, reason, `${input}: ${result.message}`);
  if (messagePart !== undefined) assert.ok(result.message.includes(messagePart), result.message);
}

function assertValid(input: string, kind: 'cf16' | 'cf11'): void {
  const result = validateTaxId(input);
  assert.ok(result.valid, `${input}: ${result.valid ? '' : result.message}`);
  assert.equal(result.kind, kind);
}

// The vectors file records the reason its authors computed with the official algorithm as
// "computed: a, b" at the end of `reason`. Map it to our reasons: where two checks fail, either
// may be reported; a bad month letter is "format" there and "month" here.
function allowedReasons(vector: InvalidVector): InvalidReason[] {
  const computed = /computed: ([^|]+)/.exec(vector.reason)?.[1].trim();
  assert.ok(computed, `no computed reason in ${vector.code}`);
  if (computed.startsWith('length/format')) return ['length'];
  return computed.split(', ').flatMap((part): InvalidReason[] => {
    if (part === 'charset') return ['characters'];
    if (part === 'format') return ['format', 'month'];
    return [part as InvalidReason];
  });
}

test('fixture holds both kinds of valid and invalid vectors', () => {
  const kinds = new Set(vectors.valid.map((v) => v.kind));
  assert.deepEqual([...kinds].sort(), ['cf11', 'cf16', 'piva']);
  assert.ok(vectors.invalid.length > 0);
});

test('every valid vector is valid, with the expected kind and normalised form', () => {
  const failures: string[] = [];
  for (const vector of vectors.valid) {
    const result = validateTaxId(vector.code);
    const kind = vector.kind === 'cf16' ? 'cf16' : 'cf11';
    const expected = vector.normalized ?? vector.code;
    if (!result.valid) failures.push(`${vector.code}: ${result.reason} ${result.message}`);
    else if (result.kind !== kind) failures.push(`${vector.code}: kind ${result.kind}`);
    else if (result.code !== expected) failures.push(`${vector.code}: code ${result.code}`);
  }
  assert.deepEqual(failures, []);
});

test('every invalid vector is invalid, for the reason the vectors file computed', () => {
  const failures: string[] = [];
  for (const vector of vectors.invalid) {
    const result = validateTaxId(vector.code);
    if (result.valid) {
      failures.push(`${vector.code}: accepted`);
      continue;
    }
    const allowed = allowedReasons(vector);
    if (!allowed.includes(result.reason)) {
      failures.push(`${vector.code}: ${result.reason}, expected one of ${allowed.join('/')}`);
    }
    const expectedChar = vector.expected_check_char;
    if (result.reason === 'check_char' && !result.message.includes(`"${expectedChar}"`)) {
      failures.push(`${vector.code}: ${result.message}, expected check char ${expectedChar}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('the office-code hint matches the vectors office codes', () => {
  const inRange = (office: string) => (Number(office) >= 1 && Number(office) <= 100) || ['120', '121', '888', '999'].includes(office);
  for (const vector of vectors.valid.filter((v) => v.office_code !== undefined)) {
    const result = validateTaxId(vector.code);
    assert.ok(result.valid && result.kind === 'cf11');
    assert.equal(result.officeCodeInVatRange, inRange(vector.office_code!), vector.code);
  }
});

test('worked examples from TAXID.md', () => {
  assert.equal(cf16CheckChar('RSSMRA85T10A562'), 'S');
  assertValid('RSSMRA85T10A562S', 'cf16');
  assert.equal(cf11CheckDigit('0074311015'), 7);
  assertValid('00743110157', 'cf11');
});

test('check functions reject input that is not normalised', () => {
  assert.throws(() => cf16CheckChar('RSSMRA85T10A56'), RangeError);
  assert.throws(() => cf16CheckChar('rssmra85t10a562'), RangeError);
  assert.throws(() => cf11CheckDigit('007431101'), RangeError);
  assert.throws(() => cf11CheckDigit('007431101A'), RangeError);
});

test('omocodia variants are accepted, also out of right-to-left order', () => {
  for (const code of ['RSSMRA45C12F20RX', 'RSSMRAQRCMNFNLRG', 'CCHGNN67R05H1S3I', 'CNTPTR60C29H5L1W', 'MKJRLA80A01L4L7I']) {
    assertValid(code, 'cf16');
  }
});

test('all 128 omocodia variants of a code are valid and kept as written', () => {
  const base = 'RSSMRA85T10A562';
  const slots = [6, 7, 9, 10, 12, 13, 14];
  for (let mask = 0; mask < 128; mask++) {
    const chars = [...base];
    slots.forEach((slot, bit) => {
      if (mask & (1 << bit)) chars[slot] = 'LMNPQRSTUV'[Number(chars[slot])];
    });
    const code = cf16(chars.join(''));
    const result = validateTaxId(code);
    assert.ok(result.valid, code);
    assert.equal(result.code, code, 'an omocode must not be mapped to its base code');
  }
});

test('the check letter is computed on the omocode variant, not on the base code', () => {
  // validator.js de-omocodes first and would accept ...D; the correct letter is M.
  assertReason('AXXFAXTTD41H501D', 'check_char', 'atteso "M"');
  assertValid('AXXFAXTTD41H501M', 'cf16');
});

test('provisional numeric CFs with office codes 900 and 369 are valid, flagged as non-VAT', () => {
  for (const code of ['61492729001', '00653093690']) {
    const result = validateTaxId(code);
    assert.deepEqual(result, {
      valid: true,
      code,
      kind: 'cf11',
      officeCodeInVatRange: false,
    });
  }
});

test('officeCodeInVatRange: 001-100, 120, 121, 888, 999', () => {
  const code = (office: string) => cf11(`1234567${office}`);
  for (const office of ['001', '050', '100', '120', '121', '888', '999']) {
    assert.equal(officeCodeInVatRange(code(office)), true, office);
  }
  for (const office of ['000', '101', '119', '122', '201', '369', '900']) {
    assert.equal(officeCodeInVatRange(code(office)), false, office);
    assertValid(code(office), 'cf11');
  }
  assert.equal(officeCodeInVatRange('0074311015'), false);
  assert.equal(validateTaxId('IT00146089990').valid, true);
});

test('29 February: valid in year 00 (2000 was leap) and in yy divisible by 4', () => {
  assertValid('RSSMRA00B69A562G', 'cf16');
  assertValid(cf16('RSSMRA00B29A562'), 'cf16');
  assertValid(cf16('RSSMRA04B29A562'), 'cf16');
  assertValid(cf16('RSSMRALQB29A562'), 'cf16'); // year 04 written as omocode letters
  assertReason(cf16('RSSMRA85B29A562'), 'date', '29/02/85');
  assertReason(cf16('RSSMRA85B69A562'), 'date', '29/02/85');
});

test('days 01-31 and 41-71 are the only ones that exist', () => {
  for (const day of ['01', '31', '41', '71']) assertValid(cf16(`RSSMRA85T${day}A562`), 'cf16');
  for (const day of ['00', '32', '40', '72', '99']) {
    assertReason(cf16(`RSSMRA85T${day}A562`), 'date', `giorno ${day}`);
  }
  assertReason('RSSMRA85T99A562U', 'date');
});

test('a day that does not exist in that month is reported as dd/mm', () => {
  assertReason('RSSMRA85B30A562G', 'date', '(30/02)');
  assertReason('RSSMRA85D71A562Q', 'date', '(31/04)');
  assertReason(cf16('RSSMRA85H31A562'), 'date', '(31/06)');
  assertReason(cf16('RSSMRA85HPMA562'), 'date', '(31/06)'); // day 31 as omocode letters
});

test('reason empty', () => {
  for (const input of ['', '   ', ' - . : ', '\t\n']) assertReason(input, 'empty', 'codice vuoto');
});

test('reason characters: only A-Z and 0-9 survive normalisation', () => {
  assertReason('%SSMRA95E05F20RU', 'characters', 'carattere non ammesso "%"');
  assertReason('DML PRY/77D15H501-F', 'characters', '"/"');
  assertReason('RSSMRA85T10A562S,', 'characters', '","');
  assertReason('RSSMRA85T10A562_S', 'characters', '"_"');
  assertReason('RSSMRA85T10A562\u00DF', 'characters', '"\u00DF"'); // not uppercased to "SS"
  assertReason('RSSMRA85T10\u200BA562S', 'characters', 'U+200B');
  // Characters are checked before length.
  assertReason('%', 'characters');
});

test('reason length, with a hint about the IT prefix', () => {
  assertReason('RSSMRA85T10A562', 'length', 'lunghezza errata (15 caratteri; attesi 16');
  assertReason('ABCDEF01G23H456IX', 'length', '17 caratteri');
  assertReason('A', 'length', '1 carattere;');
  assertReason('0074311015', 'length', '10 caratteri');
  assertReason('IT 0074311015', 'length', 'trovate 10');
  assertReason('IT123456789101', 'length', 'trovate 12');
  assertReason('IT IT 06863340961', 'length', 'prefisso IT ripetuto');
  assertReason('ITRSSMRA85T10A562S', 'length', 'prefisso IT');
  assertReason('IT RSSMRA85T10A562S', 'length');
  assertReason('GB12345678910', 'length');
});

test('reason format: wrong kind of character for the position', () => {
  assertReason('CCCFB085X03L219P', 'format', 'posizione 6');
  assertReason('CCCFBA8XD03L219S', 'format', 'posizione 8');
  assertReason('RSSMRA85T10A56AO', 'format', 'posizione 15');
  assertReason('RSSMRA95E05F20OU', 'format', '"O"');
  assertReason(cf16('RSSMRA85T10A562').slice(0, 15) + '5', 'format', 'posizione 16');
  assertReason('RSSMRA85T101562S', 'format', 'posizione 12');
  assertReason('0074311015A', 'format', 'posizione 11');
  assertReason('ABCDEFGHIJK', 'format', 'posizione 1');
});

test('reason month: position 9 is not one of ABCDEHLMPRST', () => {
  assertReason('RSSMRA85Z10A562B', 'month', 'formato non valido (posizione 9: lettera del mese "Z" inesistente)');
  for (const letter of 'FGIJKNOQUVWXYZ') assertReason(cf16(`RSSMRA85${letter}10A562`), 'month');
  assertReason(cf16('RSSMRA85110A562'), 'month', 'posizione 9');
});

test('reason check_char, reported before the date', () => {
  assertReason('RSSMRA95E05F205A', 'check_char', 'carattere di controllo errato (atteso "Z")');
  assertReason('LOIMLC71A77F979V', 'check_char', 'atteso "W"'); // day 77 is bad too
});

test('reason check_digit', () => {
  assertReason('00743110158', 'check_digit', 'cifra di controllo errata (attesa 7)');
  assertReason('IT12345670758', 'check_digit');
});

test('swapping the last two digits is not always detected (a Luhn limit, TAXID.md §3)', () => {
  assertValid('IT00146089990', 'cf11');
  assertValid('IT00146089909', 'cf11');
});

test('reason zero_matricola, reported before the check digit', () => {
  assertReason('00000000133', 'zero_matricola', 'matricola nulla (prime sette cifre a zero)');
  assertReason('IT00000000001', 'zero_matricola');
  assertReason('00000000000', 'zero_matricola');
  assertValid(cf11('0000001001'), 'cf11');
});

test('the invalid result carries the input and its normalised form', () => {
  assert.deepEqual(validateTaxId(' it 0074311015 '), {
    valid: false,
    input: ' it 0074311015 ',
    normalized: 'IT0074311015',
    reason: 'length',
    message: 'lunghezza errata (12 caratteri; dopo il prefisso IT sono attese 11 cifre, trovate 10)',
  });
});

test('no message contains the code', () => {
  const inputs = [
    ...vectors.invalid.map((v) => v.code),
    'RSSMRA85T10A562',
    'IT IT 06863340961',
    'ITRSSMRA85T10A562S',
    '0074311015',
    cf16('RSSMRA85T99A562'),
    cf16('RSSMRA85B29A562'),
    cf16('RSSMRA85110A562'),
  ];
  for (const input of inputs) {
    const result = invalid(input);
    for (const secret of [input, result.normalized, result.normalized.slice(0, 10)]) {
      if (secret.length < 4) continue;
      assert.ok(!result.message.includes(secret), `${result.message} leaks ${secret}`);
    }
  }
});
