import { createInterface } from 'node:readline';
import { ClientError, ClientErrorCode } from './client-error.ts';
import { endpointOf } from './client-config.ts';
import type { ConfigFile } from './config-file.ts';

export interface PromptIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A person at a terminal: show prompts. Otherwise answers are read one per line, unprompted. */
  interactive: boolean;
}

/**
 * Asks for the server URL and the API key. Reads through readline's line iterator rather than
 * `question()`: with piped input (`printf 'url\nkey\n' | cercapec client init`) readline emits
 * every line at once and `question()` would miss the ones that arrived before it was asked.
 */
export async function askConfig(io: PromptIo, current: ConfigFile): Promise<Required<Pick<ConfigFile, 'server' | 'key'>>> {
  const rl = createInterface({ input: io.input, output: io.interactive ? io.output : undefined, terminal: io.interactive });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (label: string, fallback: string | undefined, shown: string | undefined = fallback): Promise<string> => {
    for (;;) {
      if (io.interactive) io.output.write(`${label}${shown ? ` [${shown}]` : ''}: `);
      const next = await lines.next();
      if (next.done) {
        throw new ClientError(ClientErrorCode.config, 'init reads two lines from stdin: the server URL, then the API key');
      }
      const answer = next.value.trim() || fallback || '';
      if (answer !== '') return answer;
      if (!io.interactive) throw new ClientError(ClientErrorCode.config, `init: empty ${label.toLowerCase()}`);
    }
  };
  try {
    let server: string;
    for (;;) {
      server = await ask('Server URL', current.server ?? 'http://127.0.0.1:8080');
      try {
        endpointOf(server);
        break;
      } catch (error) {
        if (!io.interactive) throw error;
        io.output.write(`${(error as Error).message}\n`);
      }
    }
    // The current key is never echoed: only a hint that Enter keeps it.
    const key = await ask('API key', current.key, current.key ? 'Enter keeps the current key' : undefined);
    return { server, key };
  } finally {
    rl.close();
  }
}
