import assert from 'node:assert/strict';
import fc from 'fast-check';

/**
 * What every answer to hostile input must look like, shared by the hardening suites: never a
 * 5xx, and always in the protocol's own shape (one text line, or an RFC 9457 problem).
 */

/** One line of the text protocol: an answer, an error line, or a balance. */
export const TEXT_LINE = /^(OK\|[^\r\n]*|WAIT\|[A-Za-z0-9_-]+|Error\|[^\r\n]+|ERROR\|[^\r\n]+|-?\d+\.\d{2})$/;

export function assertTextAnswer(r: { statusCode: number; headers: Record<string, unknown>; body: string }, method: string, what: string): void {
  assert.ok([200, 400, 405, 413, 415, 429].includes(r.statusCode), `${what}: HTTP ${r.statusCode} ${r.body.slice(0, 200)}`);
  assert.match(String(r.headers['content-type']), /^text\/plain; charset=utf-8/, what);
  if (method === 'HEAD') return;
  assert.match(r.body, TEXT_LINE, `${what}: ${JSON.stringify(r.body.slice(0, 200))}`);
  if (r.statusCode !== 200) assert.match(r.body, /^(Error|ERROR)\|/, `${what}: an HTTP error carries an error line`);
  // GET answers errors with ERROR|, POST (and the rest) with Error|.
  if (/^(Error|ERROR)\|/.test(r.body) && r.statusCode !== 405) {
    assert.equal(r.body.startsWith('ERROR|'), method === 'GET', `${what}: ${r.body}`);
  }
}

export function assertProblemOrSuccess(r: { statusCode: number; headers: Record<string, unknown>; body: string }, what: string): void {
  assert.ok(r.statusCode < 500, `${what}: HTTP ${r.statusCode} ${r.body.slice(0, 300)}`);
  if (r.statusCode < 400) return;
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/, `${what}: HTTP ${r.statusCode} ${r.body.slice(0, 200)}`);
  const problem = JSON.parse(r.body) as { type: string; title: string; status: number; code: string };
  assert.equal(problem.status, r.statusCode, what);
  assert.match(problem.type, /^\/problems\/[a-z-]+$/, what);
  assert.equal(typeof problem.title, 'string', what);
  assert.equal(typeof problem.code, 'string', what);
}

/** Text of every kind a client can send: short and long, ASCII, any Unicode, lone surrogates, controls. */
export const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 500, maxLength: 3000 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '%',
      '%zz',
      '&',
      '=',
      '\r\n',
      '[]',
      '__proto__',
      'constructor',
      '../../etc/passwd',
      "' or 1=1 --",
      '<script>',
    ),
  },
);

/** Bytes that are not text at all, or text in a legacy encoding. */
export const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s, 'latin1')),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s, 'utf16le')),
);
