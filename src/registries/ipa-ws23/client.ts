import { parseJson, statusError, type HttpClient } from '../http-client.ts';
import { RegistryError } from '../registry.ts';
import type { SourceClient } from '../source-definition.ts';
import { mapWs23Body } from './mapping.ts';

/** The path is absolute from the host: specs/ipa-ws23.yaml's `servers: /ws` would double the /ws of its paths. */
export const WS23_PATH = '/ws/WS23DOMDIGCFServices/api/WS23_DOM_DIG_CF';

export interface Ws23Options {
  baseUrl: string;
  authId: string;
  notFoundCodes: readonly number[];
}

/**
 * IPA web service WS23: the domicili digitali of a public body by its codice fiscale, one POST
 * per code (there is no bulk call). IPA only knows 11-digit codes of enti.
 */
export function createWs23Client(id: string, o: Ws23Options, http: HttpClient): SourceClient {
  const url = `${o.baseUrl.replace(/\/+$/, '')}${WS23_PATH}`;
  return {
    id,
    kinds: ['cf11'],
    async lookup(query, signal) {
      const res = await http.request({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ AUTH_ID: o.authId, CF: query.code }).toString(),
        signal,
        // A WS23 answer is a few hundred bytes; anything near this is not one.
        maxBytes: 1024 * 1024,
      });
      if (res.status !== 200) throw statusError(id, res);
      // Reported of IPA's web services under load: 200 with nothing in it.
      if (res.text.trim() === '') throw new RegistryError(id, true, 'risposta vuota (HTTP 200)', 'empty');
      return mapWs23Body(id, parseJson(id, res), o.notFoundCodes);
    },
  };
}
