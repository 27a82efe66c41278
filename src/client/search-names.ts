import { createApiClient, isApiProblem, ApiNetworkError, type NameResult } from '../sdk/cercapec-api.ts';
import { ClientError, ClientErrorCode } from './client-error.ts';
import type { ClientConfig } from './client-config.ts';

export interface ClientSearch {
  q: string;
  province?: string;
  category?: string;
  limit?: number;
}

/**
 * Name search through the JSON API (the text protocol is code-only): one page of ranked results.
 * The server's problems become ClientErrors with its own detail (bad query, no credit).
 */
export async function searchByName(config: ClientConfig, query: ClientSearch, fetchImpl?: typeof fetch): Promise<NameResult[]> {
  if (config.protocol === 'text')
    throw new ClientError(ClientErrorCode.config, 'name search needs the JSON API (cercapec /v1): the text protocol looks up codes only');
  const api = createApiClient({ baseUrl: config.endpoint, key: config.key, fetch: fetchImpl });
  try {
    return (await api.search({ q: query.q, province: query.province, category: query.category, limit: query.limit })).items;
  } catch (error) {
    if (isApiProblem(error, 'unauthorized')) throw new ClientError(ClientErrorCode.keyInvalid, 'the server refused the key (401): check --key');
    if (isApiProblem(error, 'not_found')) throw new ClientError(ClientErrorCode.unavailable, 'this server offers no name search (GET /v1/search)');
    if (isApiProblem(error)) throw new ClientError(ClientErrorCode.unavailable, `the server refused the search: ${error.detail ?? error.title}`);
    if (error instanceof ApiNetworkError) throw new ClientError(ClientErrorCode.unreachable, `cannot reach the server: ${error.message}`);
    throw error;
  }
}

/** Table rows: one per PEC (a result without PEC still gets its line). */
export function searchTableRows(results: readonly NameResult[]): string[][] {
  return results.flatMap((r) => {
    const place = [r.place.address, r.place.postcode, r.place.province && `(${r.place.province})`].filter(Boolean).join(' ');
    const source = r.source.type === 'ipa' ? 'IPA' : r.source.name;
    const pecs = r.pecs.length > 0 ? r.pecs : [{ pec: '', kind: '', source: '' }];
    return pecs.map((p, i) => (i === 0 ? [r.code, r.ipaCode ?? '', r.name, place, p.pec, source] : ['', '', '', '', p.pec, '']));
  });
}
