import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { cf11CheckDigit, cf16CheckChar, normalizeTaxId, validateTaxId } from '../../src/taxid/index.ts';

/**
 * Property-based tests of the validator (src/taxid): whatever the input, an answer and never an
 * exception; valid answers are canonical and stable; the two check characters catch what they
 * are meant to catch; messages never repeat the code (personal data that ends up in logs).
 */

const RUNS = { numRuns: 200 };
const OMOCODE = 'LMNPQRSTUV';
const MONTHS = 'ABCDEHLMPRST';
const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
const digit = fc.integer({ min: 0, max: 9 });

/** A valid 16-character codice fiscale: any name letters, a date that exists, maybe omocode letters. */
const cf16 = fc
  .record({
    name: fc.array(letter, { minLength: 6, maxLength: 6 }),
    year: fc.integer({ min: 0, max: 99 }),
    month: fc.constantFrom(...MONTHS),
    day: fc.integer({ min: 1, max: 28 }),
    female: fc.boolean(),
    town: letter,
    townDigits: fc.array(digit, { minLength: 3, maxLength: 3 }),
    omocode: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
  })
  .map((r) => {
    const numeric = `${String(r.year).padStart(2, '0')}${String(r.day + (r.female ? 40 : 0)).padStart(2, '0')}${r.townDigits.join('')}`.split('');
    // Omocodia replaces digits with letters, any of the seven (the validator does not insist on right-to-left order).
    const shown = numeric.map((d, i) => (r.omocode[i] ? OMOCODE[Number(d)] : d));
    const first15 = `${r.name.join('')}${shown[0]}${shown[1]}${r.month}${shown[2]}${shown[3]}${r.town}${shown[4]}${shown[5]}${shown[6]}`;
    return first15 + cf16CheckChar(first15);
  });

/** A valid 11-digit code: a non-zero matricola, any office, the Luhn check digit. */
const cf11 = fc.tuple(fc.integer({ min: 1, max: 9_999_999 }), fc.integer({ min: 0, max: 999 })).map(([matricola, office]) => {
  const first10 = `${String(matricola).padStart(7, '0')}${String(office).padStart(3, '0')}`;
  return first10 + cf11CheckDigit(first10);
});

/** What people wrap a code in: case, spaces (also no-break), dashes, dots, colons. */
const decorated = (code: string) =>
  fc.tuple(fc.array(fc.constantFrom(' ', '\u00a0', '-', '.', ':', '\t'), { maxLength: code.length + 1 }), fc.boolean()).map(([seps, lower]) => {
    let out = '';
    for (let i = 0; i < code.length; i++) out += (seps[i] ?? '') + code[i];
    out += seps[code.length] ?? '';
    return lower ? out.toLowerCase() : out;
  });

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -.:IT'), maxLength: 24 }),
  fc.string({ maxLength: 5000 }),
);

test('any text gets an answer, never an exception; an invalid answer names a reason and never repeats the code', () => {
  fc.assert(
    fc.property(anyText, (input) => {
      const result = validateTaxId(input);
      if (result.valid) {
        assert.match(result.code, /^([A-Z0-9]{16}|\d{11})$/);
        return;
      }
      assert.equal(result.input, input);
      assert.equal(result.normalized, normalizeTaxId(input));
      assert.ok(result.message.length > 0 && result.message.length < 300, result.message);
      if (result.normalized.length >= 4) assert.ok(!result.message.includes(result.normalized), `the message repeats the code: ${result.message}`);
    }),
    { numRuns: 500 },
  );
});

test('valid codes are canonical: normalising or validating them again changes nothing', () => {
  fc.assert(
    fc.property(fc.oneof(cf16, cf11), (code) => {
      const result = validateTaxId(code);
      assert.ok(result.valid, `${code}: ${result.valid ? '' : result.message}`);
      assert.equal(result.code, code);
      assert.equal(result.kind, code.length === 16 ? 'cf16' : 'cf11');
      assert.equal(normalizeTaxId(result.code), result.code);
    }),
    RUNS,
  );
});

test('spaces, separators, lower case and an IT prefix before a partita IVA do not change the code', () => {
  fc.assert(
    fc.property(
      fc.oneof(cf16, cf11).chain((code) => fc.tuple(fc.constant(code), decorated(code), fc.boolean())),
      ([code, typed, prefix]) => {
        const input = prefix && code.length === 11 ? `IT ${typed}` : typed;
        const result = validateTaxId(input);
        assert.ok(result.valid, `${JSON.stringify(input)}: ${result.valid ? '' : result.message}`);
        assert.equal(result.code, code);
      },
    ),
    RUNS,
  );
});

test('the check digit of an 11-digit code catches every single wrong digit', () => {
  fc.assert(
    fc.property(cf11, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 9 }), (code, at, shift) => {
      const changed = code.slice(0, at) + String((Number(code[at]) + shift) % 10) + code.slice(at + 1);
      const result = validateTaxId(changed);
      assert.equal(result.valid, false, `${code} -> ${changed} accepted`);
    }),
    RUNS,
  );
});

test('the check letter of a 16-character code catches a wrong check letter and swapped neighbours', () => {
  fc.assert(
    fc.property(cf16, letter, (code, other) => {
      fc.pre(other !== code[15]);
      const result = validateTaxId(code.slice(0, 15) + other);
      assert.ok(!result.valid && result.reason === 'check_char', `${code.slice(0, 15)}${other}: ${result.valid ? 'accepted' : result.reason}`);
    }),
    RUNS,
  );
  // Swapping two different neighbours in the name part moves one letter to an odd position
  // and one to an even one: the sum changes unless the two weights happen to agree.
  fc.assert(
    fc.property(cf16, fc.integer({ min: 0, max: 4 }), (code, at) => {
      fc.pre(code[at] !== code[at + 1]);
      const swapped = code.slice(0, at) + code[at + 1] + code[at] + code.slice(at + 2);
      const result = validateTaxId(swapped);
      const expected = cf16CheckChar(swapped.slice(0, 15));
      assert.equal(result.valid, expected === swapped[15], `${swapped}: the validator and the check letter disagree`);
    }),
    RUNS,
  );
});

// In a child process, so that a validator that does not end on them (a quadratic scan of a
// million characters is 10^12 steps) is killed at the bound and fails the test. The bound is for
// that failure only: no speed is asserted.
test('huge and hostile inputs are answered, never scanned without end', async () => {
  const inputs = `[
    'A'.repeat(1_000_000),
    ' '.repeat(1_000_000),
    '\\u0000'.repeat(100_000),
    'IT'.repeat(500_000),
    '\\uD800'.repeat(10_000),
    '-'.repeat(1_000_000) + '00743110157',
  ]`;
  const validator = new URL('../../src/taxid/index.ts', import.meta.url).href;
  const code = `const { validateTaxId } = await import(${JSON.stringify(validator)});
console.log(JSON.stringify(${inputs}.map((input) => validateTaxId(input).valid)));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 60_000 });
  assert.deepEqual(JSON.parse(stdout), [false, false, false, false, false, true]);
});
