import type { StandinDataset } from '../dataset.ts';
import { json, startStandin, type StandinHandle, type StandinRequest, type StandinResponse } from '../standin-server.ts';

export const WS23_PATH = '/ws/WS23DOMDIGCFServices/api/WS23_DOM_DIG_CF';

/** The AUTH_ID the stand-in accepts (public: it opens nothing real). */
export const STANDIN_IPA_AUTH_ID = 'standin-ipa-auth-id';

export interface IpaWs23Handle extends StandinHandle {
  /** Answers this cod_err for a CF (the classes the seeded data never produces); null clears it. */
  setResult(cf: string, result: { cod_err: number; desc_err: string } | null): void;
}

/**
 * IPA web service WS23 (domicili digitali by codice fiscale) over the seeded enti. Like IPA it
 * answers HTTP 200 whatever happened and says what in result.cod_err: 900/901/902 for a
 * missing, empty or wrong AUTH_ID (checked first), 1/2/3 for a missing, empty or malformed CF,
 * 0 with num_items 0 for a CF that is not an ente.
 */
export async function startIpaWs23Standin(o: { port?: number; dataset: StandinDataset; delayMs?: [number, number]; authId?: string }): Promise<IpaWs23Handle> {
  const authId = o.authId ?? STANDIN_IPA_AUTH_ID;
  const enti = new Map(o.dataset.enti.map((e) => [e.cf, e]));
  const forced = new Map<string, { cod_err: number; desc_err: string }>();

  function answer(r: StandinRequest): StandinResponse {
    if (r.path !== WS23_PATH) return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' };
    if (r.method !== 'POST') return { status: 405, headers: { 'content-type': 'text/html' }, body: '<html><body>405 Method Not Allowed</body></html>' };
    if (!String(r.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, headers: { 'content-type': 'text/html' }, body: '<html><body>400 Bad Request</body></html>' };
    }
    const form = new URLSearchParams(r.body);
    const failure = (cod_err: number, desc_err: string) => json(200, { result: { cod_err, desc_err, num_items: 0 }, data: [] });
    const auth = form.get('AUTH_ID');
    if (auth === null) return failure(900, 'AUTH_ID mancante');
    if (auth.trim() === '') return failure(901, 'AUTH_ID vuoto');
    if (auth !== authId) return failure(902, 'AUTH_ID non valido');
    const cf = form.get('CF');
    if (cf === null) return failure(1, 'CF mancante');
    if (cf.trim() === '') return failure(2, 'CF vuoto');
    if (!/^(\d{11}|[A-Za-z0-9]{16})$/.test(cf.trim())) return failure(3, 'CF non valido');
    const result = forced.get(cf.trim());
    if (result) return failure(result.cod_err, result.desc_err);
    const ente = enti.get(cf.trim());
    const data = (ente?.pecs ?? []).map((pec) => ({ domicilio_digitale: pec, tipo: 'Pec', cod_amm: ente!.codIpa, des_amm: ente!.name }));
    return json(200, { result: { cod_err: 0, desc_err: '', num_items: data.length }, data });
  }

  const handle = await startStandin({ name: 'ipa-ws23', port: o.port, delayMs: o.delayMs, handle: answer });
  return Object.assign(handle, {
    setResult(cf: string, result: { cod_err: number; desc_err: string } | null) {
      if (result) forced.set(cf, result);
      else forced.delete(cf);
    },
  });
}
