import { ClientError, ClientErrorCode } from './client-error.ts';
import type { RateGate } from './rate-gate.ts';
import { retryAfterMs } from './rate-gate.ts';
import type { Transport } from './transport.ts';
import { parseBalanceAnswer, parseCancelAnswer, parsePollAnswer, parseSubmitAnswer } from './text-answers.ts';

export interface TextTransportOptions {
  /** The full URL of the service, e.g. `http://127.0.0.1:8080/index_ws.php`. */
  endpoint: string;
  key: string;
  gate: RateGate;
  now: () => number;
  fetch?: typeof fetch;
  /** Per HTTP request; a slower answer counts as "unreachable" and is retried by the caller. */
  timeoutMs?: number;
}

/**
 * The trovapec text protocol: POST `cf` / `cf-delete` / `saldo`, GET `token`. In-flight requests
 * are not aborted on Ctrl-C: letting a submission finish means its token reaches the state file
 * instead of coming back "già richiesta" on the next run.
 */
export function createTextTransport(options: TextTransportOptions): Transport {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const endpoint = new URL(options.endpoint);

  async function send(method: 'GET' | 'POST', fields: Record<string, string>): Promise<string> {
    const params = new URLSearchParams({ key: options.key, ...fields });
    for (;;) {
      await options.gate.pass();
      let response: Response;
      let text: string;
      try {
        response = await doFetch(method === 'GET' ? `${endpoint.href}?${params}` : endpoint.href, {
          method,
          body: method === 'POST' ? params : undefined,
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        throw new ClientError(ClientErrorCode.unreachable, `cannot reach the server at ${endpoint.origin} (${networkReason(error)})`);
      }
      if (response.status === 429) {
        options.gate.pause(retryAfterMs(response.headers.get('retry-after'), options.now()));
        continue;
      }
      if (response.status === 503 || response.status === 502 || response.status === 504) {
        throw new ClientError(ClientErrorCode.unavailable, `the server at ${endpoint.origin} is unavailable (HTTP ${response.status})`);
      }
      if (response.status !== 200) {
        throw new ClientError(
          ClientErrorCode.badAnswer,
          `the server at ${endpoint.href} answered HTTP ${response.status}: ${JSON.stringify(text.trim().slice(0, 120))}`,
        );
      }
      return text.trim();
    }
  }

  return {
    name: endpoint.host,
    async submit(code) {
      return parseSubmitAnswer(await send('POST', { cf: code }));
    },
    async poll(token) {
      return parsePollAnswer(await send('GET', { token }));
    },
    async cancel(code) {
      return parseCancelAnswer(await send('POST', { 'cf-delete': code }));
    },
    async balance() {
      return parseBalanceAnswer(await send('POST', { saldo: '' }));
    },
  };
}

/** ECONNREFUSED, ENOTFOUND, "timed out after 30 s": what the operator can act on. */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
