import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../../clock.ts';
import type { StandinDataset } from '../dataset.ts';
import { json, startStandin, type StandinHandle, type StandinRequest, type StandinResponse } from '../standin-server.ts';
import { TEST_KEYS } from '../test-keys.ts';
import { createStandinAuth } from './auth.ts';
import { createListStore, indexDataset } from './pec-lists.ts';

/** The path InfoCamere serves under (as in PagoPA SEND's configuration). */
export const INIPEC_BASE_PATH = '/ic/ce/wspa/wspa/rest';
export const INIPEC_STANDIN_CLIENT_ID = 'cercapec-standin';

export interface InipecStandinOptions {
  dataset: StandinDataset;
  port?: number;
  delayMs?: [number, number];
  /** Token validity and JWS `exp` are judged by this clock (tests pass their ManualClock). */
  clock?: Clock;
  clientId?: string;
  /** "In progress" answers (WSPA_ERR_05) each request gets before its list. Default 2. */
  inProgressPolls?: number;
  /** Default 300 s. */
  tokenTtlSeconds?: number;
  /** Most codes in one richiestaElencoPec. Default 100. */
  maxCodes?: number;
}

export interface InipecStandinHandle extends StandinHandle {
  /** url + the base path: what a client's baseUrl (and the JWS audience) is. */
  readonly baseUrl: string;
  /** Every access token issued so far stops working. */
  revokeTokens(): void;
  setInProgressPolls(n: number): void;
  /** The next `count` getElencoPec answer with this InfoCamere error code instead of the list. */
  setPollError(code: string, count?: number): void;
}

const APP_NAME = 'wspa-pedf';

export async function startInipecStandin(o: InipecStandinOptions): Promise<InipecStandinHandle> {
  const clock = o.clock ?? systemClock;
  const index = indexDataset(o.dataset);
  const lists = createListStore();
  let inProgressPolls = o.inProgressPolls ?? 2;
  let pollError: { code: string; remaining: number } | null = null;
  let baseUrl = '';
  const auth = createStandinAuth({
    clock,
    clientId: o.clientId ?? INIPEC_STANDIN_CLIENT_ID,
    audience: () => baseUrl,
    trustedCertPem: readFileSync(TEST_KEYS.clientCertFile, 'utf8'),
    tokenTtlSeconds: o.tokenTtlSeconds ?? 300,
  });
  const now = () => new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const error = (status: number, message: string) => json(status, { message, code: String(status) });
  const infoCamereError = (id: string, code: string, description: string) =>
    // The spec's polling schema requires the list fields even here; elencoPec is empty so a client
    // that ignores `code` would wrongly read "nobody has a PEC": ours must not.
    json(200, {
      dataOraDownload: now(),
      identificativoRichiesta: id,
      elencoPec: [],
      code,
      description,
      appName: APP_NAME,
      timestamp: new Date(clock.now()).toISOString(),
    });

  function requestList(r: StandinRequest): StandinResponse {
    let body: { dataOraRichiesta?: unknown; elencoCf?: unknown };
    try {
      body = JSON.parse(r.body);
    } catch {
      return error(400, 'Richiesta non valida');
    }
    const items = Array.isArray(body?.elencoCf) ? (body.elencoCf as Array<{ cf?: unknown }>) : null;
    if (!items || items.length === 0 || items.length > (o.maxCodes ?? 100) || items.some((i) => typeof i?.cf !== 'string' || !i.cf)) {
      return error(400, 'Richiesta non valida');
    }
    const list = lists.add(items.map((i) => String(i.cf).toUpperCase()));
    return json(200, { dataOraRichiesta: typeof body.dataOraRichiesta === 'string' ? body.dataOraRichiesta : now(), identificativoRichiesta: list.id });
  }

  function getList(id: string): StandinResponse {
    const list = lists.get(id);
    if (!list) return error(404, 'Richiesta non trovata');
    if (pollError && pollError.remaining > 0) {
      pollError.remaining -= 1;
      return infoCamereError(id, pollError.code, "Errore nella preparazione dell'elenco");
    }
    if (list.polls < inProgressPolls) {
      list.polls += 1;
      return infoCamereError(id, 'WSPA_ERR_05', 'List PEC in progress');
    }
    const elencoPec = list.codes.flatMap((cf) => index.get(cf) ?? []);
    return json(200, { dataOraDownload: now(), identificativoRichiesta: id, elencoPec });
  }

  const handle = await startStandin({
    name: 'inipec',
    port: o.port,
    delayMs: o.delayMs,
    async handle(r) {
      if (!r.path.startsWith(`${INIPEC_BASE_PATH}/`)) return error(404, 'Servizio non trovato');
      const path = r.path.slice(INIPEC_BASE_PATH.length);
      if (path === '/authentication' && r.method === 'POST') return auth.authenticate(r);
      const isRequest = path === '/richiestaElencoPec' && r.method === 'POST';
      const poll = /^\/getElencoPec\/([^/]+)$/.exec(path);
      if (!isRequest && !(poll && r.method === 'GET')) return error(404, 'Servizio non trovato');
      const refused = await auth.authorize(r);
      if (refused) return refused;
      return isRequest ? requestList(r) : getList(decodeURIComponent(poll![1]));
    },
  });
  baseUrl = `${handle.url}${INIPEC_BASE_PATH}`;
  return Object.assign(handle, {
    baseUrl,
    revokeTokens: auth.revokeTokens,
    setInProgressPolls(n: number) {
      inProgressPolls = n;
    },
    setPollError(code: string, count = 1) {
      pollError = { code, remaining: count };
    },
  });
}
