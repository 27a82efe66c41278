import type { Clock } from '../../clock.ts';
import { parseJson, statusError, type HttpClient, type HttpResponse } from '../http-client.ts';
import { RegistryError } from '../registry.ts';
import { errorCodeOf, IN_PROGRESS_CODE, type InfoCamereErrorFields } from './mapping.ts';
import type { TokenCache } from './token-cache.ts';

export interface InipecApiOptions {
  source: string;
  http: HttpClient;
  clock: Clock;
  tokens: TokenCache;
  baseUrl: string;
  clientId: string;
  scope: string;
  signal: AbortSignal;
}

export type PollResult = { state: 'in_progress' } | { state: 'ready'; elencoPec: unknown };

/** A poll answer that means the request is gone or failed there: asking again is the cure. */
export class RequestLostError extends RegistryError {}

/** The two calls of INI-PEC's bulk PEC list: ask for a list of codes, then fetch it by its id. */
export interface InipecApi {
  requestList(codes: readonly string[]): Promise<string>;
  pollList(id: string): Promise<PollResult>;
}

export function createInipecApi(o: InipecApiOptions): InipecApi {
  const query = `client_id=${encodeURIComponent(o.clientId)}`;

  /** A data call with the current token; a 401 drops it and tries once more with a fresh one. */
  async function authorized(call: (token: string) => Promise<HttpResponse>): Promise<HttpResponse> {
    let token = await o.tokens.get();
    let res = await call(token);
    if (res.status !== 401) return res;
    o.tokens.drop(token);
    token = await o.tokens.get();
    res = await call(token);
    if (res.status === 401) throw new RegistryError(o.source, false, 'InfoCamere rifiuta il token appena rilasciato (HTTP 401)', 'auth_401');
    return res;
  }

  const headers = (token: string) => ({ authorization: `Bearer ${token}`, scope: o.scope, accept: 'application/json' });

  return {
    async requestList(codes) {
      // The spec types this body as a string because PagoPA's generated client sends the JSON
      // already serialised; on the wire it is the JSON object itself.
      const body = JSON.stringify({ dataOraRichiesta: isoSeconds(o.clock.now()), elencoCf: codes.map((cf) => ({ cf })) });
      const res = await authorized((token) =>
        o.http.request({
          method: 'POST',
          url: `${o.baseUrl}/richiestaElencoPec?${query}`,
          headers: { ...headers(token), 'content-type': 'application/json' },
          body,
          signal: o.signal,
        }),
      );
      if (res.status !== 200) throw statusError(o.source, res, 'su richiestaElencoPec');
      const answer = parseJson<{ identificativoRichiesta?: unknown } & InfoCamereErrorFields>(o.source, res);
      const error = errorCodeOf(answer ?? {});
      if (error) throw new RegistryError(o.source, true, `InfoCamere non accetta la richiesta (${error})`, error);
      const id = answer?.identificativoRichiesta;
      if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') {
        throw new RegistryError(o.source, true, 'risposta non valida: identificativoRichiesta mancante', 'malformed');
      }
      return String(id);
    },

    async pollList(id) {
      const res = await authorized((token) =>
        o.http.request({ method: 'GET', url: `${o.baseUrl}/getElencoPec/${encodeURIComponent(id)}?${query}`, headers: headers(token), signal: o.signal }),
      );
      if (res.status === 404) throw new RequestLostError(o.source, true, 'InfoCamere non conosce più la richiesta (HTTP 404)', '404');
      if (res.status !== 200) throw statusError(o.source, res, 'su getElencoPec');
      const answer = parseJson<{ elencoPec?: unknown } & InfoCamereErrorFields>(o.source, res);
      const error = errorCodeOf(answer ?? {});
      if (error === IN_PROGRESS_CODE) return { state: 'in_progress' };
      if (error) throw new RequestLostError(o.source, true, `InfoCamere non ha preparato l'elenco (${error})`, error);
      return { state: 'ready', elencoPec: answer?.elencoPec };
    },
  };
}

/** "2024-05-21T12:30:00Z", as in the spec's examples. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
