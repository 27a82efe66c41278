/** The password prompt of `cercapec users add|passwd` on a (fake) terminal, and from a pipe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { readNewPassword } from '../../src/cli/read-password.ts';

/** A stream that says it is a terminal; what it is sent in raw mode is typed "keys". */
function fakeTerminal(typed: string[]): { input: NodeJS.ReadStream; output: NodeJS.WriteStream; shown: () => string; rawModes: boolean[] } {
  const input = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  const rawModes: boolean[] = [];
  Object.assign(input, {
    isTTY: true,
    setRawMode: (on: boolean) => {
      rawModes.push(on);
      return input;
    },
  });
  const output = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  // Each answer is typed once its prompt is on screen.
  let next = 0;
  output.on('data', (c: Buffer) => {
    if (c.toString().includes('Password') && next < typed.length) setImmediate(() => input.write(typed[next++]));
  });
  return { input, output, shown: () => shown, rawModes };
}

test('on a terminal: asked twice, not echoed, backspace edits', async () => {
  const term = fakeTerminal(['segreta-lungaX\u007f\r', 'segreta-lunga\r']);
  assert.equal(await readNewPassword({ fromStdin: false }, term.input, term.output), 'segreta-lunga');
  assert.ok(!term.shown().includes('segreta'), 'nothing typed is echoed');
  assert.deepEqual(term.rawModes, [true, false, true, false]);
});

test('on a terminal: two different passwords, or Ctrl-C, stop the command', async () => {
  const differ = fakeTerminal(['una-password\r', 'altra-password\r']);
  await assert.rejects(readNewPassword({ fromStdin: false }, differ.input, differ.output), /differ/);
  const term = fakeTerminal(['abc\u0003']);
  await assert.rejects(readNewPassword({ fromStdin: false }, term.input, term.output), /cancelled/);
});

test('from a pipe: the first line, without its newline', async () => {
  const input = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  input.end('dalla-pipe-lunga\r\nignorata\n');
  assert.equal(await readNewPassword({ fromStdin: true }, input), 'dalla-pipe-lunga');
  const empty = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  empty.end('');
  await assert.rejects(readNewPassword({ fromStdin: true }, empty), /no password/);
});
