import { createApiClient, isApiProblem, ApiNetworkError, type Lookup } from '../sdk/cercapec-api.ts';
import { ClientError, ClientErrorCode } from './client-error.ts';
import type { BulkApi, PollResult, SubmitResult, Transport } from './transport.ts';
import { createJsonBulk } from './json-bulk.ts';

export interface JsonTransportOptions {
  /** The server's base URL (the text endpoint's URL works too: the SDK drops /index_ws.php). */
  baseUrl: string;
  key: string;
  fetch?: typeof fetch;
}

/**
 * cercapec's JSON API behind the client's Transport. Better than the text protocol for bulk work:
 * a code the account already has comes back as the existing lookup (with its id), so a run killed
 * between a submission and its state line recovers the token without the text protocol's
 * cf-delete-and-resubmit; and the answer names the registry that gave it (the `fonte` column).
 */
export function createJsonTransport(options: JsonTransportOptions): Transport {
  const api = createApiClient({ baseUrl: options.baseUrl, key: options.key, fetch: options.fetch });

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isApiProblem(error, 'unauthorized')) throw new ClientError(ClientErrorCode.keyInvalid, 'the server refused the key (401): check --key');
      if (isApiProblem(error, 'unavailable', 'rate_limited'))
        throw new ClientError(ClientErrorCode.unavailable, `the server is unavailable: ${(error as Error).message}`);
      if (error instanceof ApiNetworkError) throw new ClientError(ClientErrorCode.unreachable, `cannot reach the server: ${error.message}`);
      throw error;
    }
  }

  let bulk: Promise<BulkApi | null> | undefined;

  function pollResult(lookup: Lookup): PollResult {
    switch (lookup.status) {
      case 'found':
        return { kind: 'found', pec: lookup.pec ?? '', source: lookup.addresses[0]?.source };
      case 'not_found':
        return { kind: 'notFound' };
      case 'failed':
        return { kind: 'error', message: lookup.error?.message ?? 'ricerca non riuscita' };
      case 'cancelled':
        return { kind: 'error', message: 'richiesta cancellata' };
      default:
        return { kind: 'wait' };
    }
  }

  return {
    name: new URL(options.baseUrl).host,
    async submit(code): Promise<SubmitResult> {
      try {
        const { lookup } = await call(() => api.submitLookup({ code }));
        return { kind: 'accepted', token: lookup.id };
      } catch (error) {
        if (isApiProblem(error)) return { kind: 'error', message: error.detail ?? error.title };
        throw error;
      }
    },
    async poll(token) {
      try {
        return pollResult(await call(() => api.getLookup(token)));
      } catch (error) {
        if (isApiProblem(error, 'not_found')) return { kind: 'error', message: 'richiesta sconosciuta o cancellata' };
        throw error;
      }
    },
    async cancel(code) {
      const page = await call(() => api.listLookups({ code, limit: 1 }));
      const lookup = page.items[0];
      if (!lookup) return { kind: 'none' };
      await call(() => api.cancelLookup(lookup.id));
      return { kind: 'cancelled' };
    },
    async balance() {
      return (await call(() => api.account())).balanceCents;
    },
    async price() {
      return (await call(() => api.account())).priceCents;
    },
    bulk() {
      bulk ??= call(() => api.offersBatches()).then((yes) => (yes ? createJsonBulk(api, call) : null));
      return bulk;
    },
  };
}

/** Whether the server offers cercapec's JSON API (for `--protocol auto`). */
export async function offersJsonApi(baseUrl: string, key: string, doFetch: typeof fetch = fetch): Promise<boolean> {
  try {
    return await createApiClient({ baseUrl, key, fetch: doFetch, timeoutMs: 5000 }).offersJsonApi();
  } catch {
    return false;
  }
}
