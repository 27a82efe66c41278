import { parseJson, statusError, type HttpClient } from '../http-client.ts';
import { RegistryError } from '../registry.ts';
import type { SourceClient } from '../source-definition.ts';
import { mapCompanyPec, type CompanyPecAnswer } from './mapping.ts';

export interface OpenapiClientOptions {
  source: string;
  http: HttpClient;
  baseUrl: string;
  token: string;
}

/**
 * OpenAPI SpA's Company API, GET {baseUrl}/IT-pec/{code}: one paid call per code (a wallet is
 * charged per call, the first 30 a month are free), so the answer cache matters most here.
 */
export function createOpenapiClient(o: OpenapiClientOptions): SourceClient {
  const base = o.baseUrl.replace(/\/+$/, '');
  return {
    id: o.source,
    kinds: ['cf11', 'cf16'],
    async lookup(query, signal) {
      const res = await o.http.request({
        url: `${base}/IT-pec/${encodeURIComponent(query.code)}`,
        headers: { authorization: `Bearer ${o.token}`, accept: 'application/json' },
        signal,
      });
      if (res.status === 200) return mapCompanyPec(o.source, parseJson<CompanyPecAnswer>(o.source, res), query.code);
      if (res.status === 404) return { outcome: 'not_found' };
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(
          o.source,
          false,
          `OpenAPI ha rifiutato il token (HTTP ${res.status}): verificare il token e i suoi scope (IT-pec)`,
          String(res.status),
        );
      }
      if (res.status === 402) {
        throw new RegistryError(o.source, false, 'OpenAPI: credito del wallet esaurito (HTTP 402): ricaricare il wallet su openapi.com', '402');
      }
      throw statusError(o.source, res, 'da OpenAPI');
    },
  };
}
