import { parseJson, statusError, type HttpClient, type HttpRequest, type HttpResponse } from '../http-client.ts';
import { RegistryError } from '../registry.ts';
import { parseInadRecord, type InadRecord } from './mapping.ts';
import type { PdndVouchers } from './pdnd-voucher.ts';

/** INAD's extraction API (inad-extraction.yaml), one function per operation, errors already classified. */
export interface InadApi {
  /** GET /extract/{cf}: the record, or null for INAD's 404 "CF non trovato". */
  extract(code: string, reference: string, signal?: AbortSignal): Promise<InadRecord | null>;
  /** POST /listDigitalAddress: the id of the list being prepared. */
  submitList(codes: readonly string[], reference: string, signal?: AbortSignal): Promise<string>;
  /** GET /listDigitalAddress/state/{id}: 303 means ready; 200 carries PRESA_IN_CARICO or IN_ELABORAZIONE. */
  listReady(id: string, signal?: AbortSignal): Promise<boolean>;
  /** GET /listDigitalAddress/response/{id}: one record per code asked (codes without a domicile have empty data). */
  listResponse(id: string, signal?: AbortSignal): Promise<unknown[]>;
  /**
   * GET /verify/{cf}?digital_address&since&practicalReference: whether `pec` was the code's
   * domicile on `date` (yyyy-MM-dd). INAD's 404 "CF non trovato" is a no (no domicile at all).
   */
  verify(code: string, pec: string, date: string, reference: string, signal?: AbortSignal): Promise<{ outcome: boolean; checkedAt: string | null }>;
}

export interface InadApiOptions {
  source: string;
  http: HttpClient;
  vouchers: PdndVouchers;
  baseUrl: string;
}

/** INAD's answer for a code it does not hold (PagoPA SEND matches the same string). */
const CF_NOT_FOUND = /cf non trovato/i;

export function createInadApi(o: InadApiOptions): InadApi {
  const base = o.baseUrl.replace(/\/+$/, '');

  /**
   * A call with the voucher. A 401 or 403 may mean the voucher was revoked or expired early:
   * forget it and try once with a new one; a second refusal is final.
   */
  async function call(r: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const voucher = await o.vouchers.get();
      const res = await o.http.request({ ...r, headers: { accept: 'application/json', ...r.headers, authorization: `Bearer ${voucher}` } });
      if ((res.status === 401 || res.status === 403) && attempt === 0) {
        o.vouchers.drop(voucher);
        continue;
      }
      return res;
    }
  }

  return {
    async verify(code, pec, date, reference, signal) {
      const params = new URLSearchParams({ digital_address: pec, since: date, practicalReference: reference });
      const res = await call({ url: `${base}/verify/${encodeURIComponent(code)}?${params}`, signal });
      if (res.status === 404 && CF_NOT_FOUND.test(problemDetail(res))) return { outcome: false, checkedAt: null };
      if (res.status !== 200) throw inadError(o.source, res, 'verify');
      const answer = parseJson<{ outcome?: unknown; dateTimeCheck?: unknown }>(o.source, res);
      if (typeof answer.outcome !== 'boolean') throw new RegistryError(o.source, true, 'risposta INAD non valida (verify)', 'malformed');
      return { outcome: answer.outcome, checkedAt: typeof answer.dateTimeCheck === 'string' ? answer.dateTimeCheck : null };
    },

    async extract(code, reference, signal) {
      const url = `${base}/extract/${encodeURIComponent(code)}?practicalReference=${encodeURIComponent(reference)}`;
      const res = await call({ url, signal });
      if (res.status === 200) return parseInadRecord(o.source, parseJson(o.source, res));
      if (res.status === 404 && CF_NOT_FOUND.test(problemDetail(res))) return null;
      throw inadError(o.source, res, 'extract');
    },

    async submitList(codes, reference, signal) {
      // The spec spells the field `praticalReference` (sic); the community client parlaConINAD sends `practicalReference`.
      const body = JSON.stringify({ codiciFiscali: codes, praticalReference: reference });
      const res = await call({ method: 'POST', url: `${base}/listDigitalAddress`, headers: { 'content-type': 'application/json' }, body, signal });
      if (res.status !== 202 && res.status !== 200) throw inadError(o.source, res, 'listDigitalAddress');
      const answer = parseJson<{ id?: unknown }>(o.source, res);
      const id = typeof answer.id === 'string' && answer.id ? answer.id : idFromLocation(res);
      if (!id) throw new RegistryError(o.source, true, "INAD non ha indicato l'identificativo dell'elenco", 'malformed');
      return id;
    },

    async listReady(id, signal) {
      const res = await call({ url: `${base}/listDigitalAddress/state/${encodeURIComponent(id)}`, signal });
      if (res.status === 303) return true;
      if (res.status !== 200) throw inadError(o.source, res, 'listDigitalAddress/state');
      const { state } = parseJson<{ state?: unknown }>(o.source, res);
      // The spec answers DISPONIBILE with 303; a 200 that says so is taken at its word.
      return state === 'DISPONIBILE';
    },

    async listResponse(id, signal) {
      const res = await call({ url: `${base}/listDigitalAddress/response/${encodeURIComponent(id)}`, signal });
      if (res.status !== 200) throw inadError(o.source, res, 'listDigitalAddress/response');
      const { list } = parseJson<{ list?: unknown }>(o.source, res);
      if (!Array.isArray(list)) throw new RegistryError(o.source, true, 'risposta INAD non valida (elenco)', 'malformed');
      return list;
    },
  };
}

/**
 * INAD's problem+json {status, type, detail} as a RegistryError: 400 is our request (a code or
 * a practicalReference INAD refuses), 401/403 (after the retry with a new voucher) is the
 * voucher or the purpose, 404 elsewhere a wrong baseUrl or an expired list; 429 and 5xx pass.
 */
function inadError(source: string, res: HttpResponse, operation: string): RegistryError {
  if (res.status === 429 || res.status >= 500) return statusError(source, res, `da INAD (${operation})`);
  const detail = problemDetail(res);
  const where = `(HTTP ${res.status} ${operation}${detail ? `: ${detail}` : ''})`;
  if (res.status === 400) return new RegistryError(source, false, `richiesta rifiutata da INAD ${where}`, '400');
  if (res.status === 401 || res.status === 403) {
    return new RegistryError(
      source,
      false,
      `INAD ha rifiutato il voucher PDND: verificare la fruizione dell'e-service e la finalità ${where}`,
      String(res.status),
    );
  }
  if (res.status === 404 && operation.startsWith('listDigitalAddress/')) {
    // An expired (48 h) or unknown list: asking for a new one can succeed.
    return new RegistryError(source, true, `elenco INAD non trovato ${where}`, '404');
  }
  return new RegistryError(source, false, `risposta inattesa da INAD ${where}`, String(res.status));
}

function problemDetail(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.text) as { detail?: unknown };
    return typeof body.detail === 'string' ? body.detail.slice(0, 200) : '';
  } catch {
    return '';
  }
}

function idFromLocation(res: HttpResponse): string | null {
  const location = res.headers.location;
  const value = Array.isArray(location) ? location[0] : location;
  return value
    ? decodeURIComponent(
        value
          .replace(/[?#].*$/, '')
          .split('/')
          .filter(Boolean)
          .pop() ?? '',
      ) || null
    : null;
}
