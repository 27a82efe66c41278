import { createInterface } from 'node:readline/promises';
import { costNotice, type ConfirmCost } from './rebuy.ts';

export interface ConfirmOptions {
  /** --yes: the operator confirmed on the command line. */
  yes: boolean;
  /** stdin is a terminal: the question can be asked. */
  interactive: boolean;
  input: NodeJS.ReadableStream;
  /** Where the notice goes (stderr: stdout may be the program's output). */
  output: NodeJS.WritableStream;
}

/**
 * The client's way of confirming a cost: the notice always, then `--yes`, a question on a
 * terminal, or (neither) no. The CLI refuses --rebuy/--refresh without --yes on a non-terminal
 * before starting, so that last case is only a safety net.
 */
export function confirmCost(options: ConfirmOptions): ConfirmCost {
  return async (offer) => {
    options.output.write(`${costNotice(offer)}\n`);
    if (options.yes) {
      options.output.write('--yes given: going ahead.\n');
      return true;
    }
    if (!options.interactive) {
      options.output.write('not confirmed (stdin is not a terminal and --yes was not given): nothing bought again.\n');
      return false;
    }
    const rl = createInterface({ input: options.input, output: options.output });
    try {
      const answer = await rl.question('Continuare? / Go ahead? [s/N] ');
      const yes = /^\s*(s|si|sì|y|yes)\s*$/i.test(answer);
      if (!yes) options.output.write('not confirmed: nothing bought again.\n');
      return yes;
    } finally {
      rl.close();
    }
  };
}
