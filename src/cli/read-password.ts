import { UsageError } from './context.ts';

/** Everything on stdin, up to its end; the password is its first line (a trailing newline is not part of it). */
async function readStdin(input: NodeJS.ReadStream): Promise<string> {
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input) text += chunk;
  return text.split(/\r?\n/)[0] ?? '';
}

/** One line typed on the terminal without echo. Ctrl-C aborts the command, Ctrl-D ends the line. */
function promptHidden(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    let value = '';
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    const finish = (error: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/**
 * A new password for `cercapec users add|passwd`: from a prompt (typed twice, not echoed) on a
 * terminal, or the first line of stdin with --password-stdin or when stdin is not a terminal
 * (`printf '%s\n' "$PW" | cercapec users add ...`). Never from argv: arguments show in `ps`
 * and in shell history.
 */
export async function readNewPassword(
  options: { fromStdin: boolean },
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (options.fromStdin || !input.isTTY) {
    const password = await readStdin(input);
    if (!password) throw new UsageError('no password on stdin');
    return password;
  }
  const first = await promptHidden('Password: ', input, output);
  const second = await promptHidden('Password (again): ', input, output);
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}
