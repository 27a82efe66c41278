import type { Clock } from '../../clock.ts';
import { json, type StandinRequest, type StandinResponse } from '../standin-server.ts';
import type { BulkLists } from './bulk-lists.ts';
import { inadRecord, isoSeconds, type InadEntry } from './directory.ts';

export interface InadRoutesOptions {
  basePath: string;
  clock: Clock;
  directory: ReadonlyMap<string, InadEntry>;
  lists: BulkLists;
  /** Whether the Authorization header carries a valid PDND voucher. */
  authorized(authorization: string | undefined): boolean;
  /** Whether the purpose is suspended on PDND: valid vouchers are refused with 403. */
  suspended(): boolean;
  /** The code whose record is answered when `code` is asked (tests of a registry answering about someone else). */
  answerAs(code: string): string;
}

/** The spec's CodiceFiscale pattern (anchored as meant). */
const CODE = /^(?:[0-9]{11}|[A-Za-z]{6}[0-9]{2}[A-Za-z][0-9]{2}[A-Za-z][0-9]{3}[A-Za-z])$/;
const MAX_LIST = 1000;

type ErrorType = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'INTERNAL_SERVER_ERROR' | 'SERVICE_UNAVAILABLE';

/**
 * INAD's extraction API under basePath (inad-extraction.yaml): /extract, /verify, and the bulk trio
 * /listDigitalAddress, /state/{id}, /response/{id}. Every call needs a PDND voucher and the
 * extraction calls a practicalReference; errors are problem+json {status, type, detail}.
 */
export function createInadRoutes(o: InadRoutesOptions): (r: StandinRequest) => StandinResponse | null {
  return (r) => {
    if (!r.path.startsWith(`${o.basePath}/`)) return null;
    const path = r.path.slice(o.basePath.length);
    if (!o.authorized(header(r, 'authorization'))) return problem(401, 'UNAUTHORIZED', 'Voucher PDND mancante, non valido o scaduto');
    if (o.suspended()) return problem(403, 'FORBIDDEN', 'Finalità sospesa: fruizione non consentita');

    let m: RegExpExecArray | null;
    if (r.method === 'GET' && (m = /^\/extract\/([^/]+)$/.exec(path))) return extract(decodeURIComponent(m[1]), r.query.get('practicalReference'));
    if (r.method === 'GET' && (m = /^\/verify\/([^/]+)$/.exec(path))) return verify(decodeURIComponent(m[1]), r.query);
    if (r.method === 'POST' && path === '/listDigitalAddress') return submit(r);
    if (r.method === 'GET' && (m = /^\/listDigitalAddress\/state\/([^/]+)$/.exec(path))) return state(r, decodeURIComponent(m[1]));
    if (r.method === 'GET' && (m = /^\/listDigitalAddress\/response\/([^/]+)$/.exec(path))) return response(decodeURIComponent(m[1]));
    return problem(404, 'NOT_FOUND', 'Risorsa non trovata');
  };

  function extract(code: string, reference: string | null): StandinResponse {
    if (!CODE.test(code)) return problem(400, 'BAD_REQUEST', 'Codice fiscale non valido');
    if (!reference) return problem(400, 'BAD_REQUEST', 'practicalReference obbligatorio');
    const entry = o.directory.get(o.answerAs(code.toUpperCase()));
    if (!entry) return problem(404, 'NOT_FOUND', 'CF non trovato');
    return json(200, inadRecord(entry));
  }

  /**
   * /verify/{cf}?digital_address&since&practicalReference: true when that address was the
   * domicile on that day, by the entry's own dates (since, and a cessation's end).
   */
  function verify(code: string, query: URLSearchParams): StandinResponse {
    const pec = query.get('digital_address');
    const day = query.get('since');
    const reference = query.get('practicalReference');
    if (!CODE.test(code)) return problem(400, 'BAD_REQUEST', 'Codice fiscale non valido');
    if (!pec?.includes('@')) return problem(400, 'BAD_REQUEST', 'digital_address obbligatorio');
    if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day) || !Number.isFinite(Date.parse(day)))
      return problem(400, 'BAD_REQUEST', 'since: data yyyy-MM-dd obbligatoria');
    if (!reference) return problem(400, 'BAD_REQUEST', 'practicalReference obbligatorio');
    const entry = o.directory.get(o.answerAs(code.toUpperCase()));
    if (!entry) return problem(404, 'NOT_FOUND', 'CF non trovato');
    const wanted = pec.toLowerCase();
    const outcome =
      entry.since.slice(0, 10) <= day &&
      entry.addresses.some((a) => a.pec.toLowerCase() === wanted && (a.cessation === null || isoSeconds(a.cessation.endsAt).slice(0, 10) > day));
    return json(200, { outcome, dateTimeCheck: isoSeconds(o.clock.now()) });
  }

  function submit(r: StandinRequest): StandinResponse {
    let body: { codiciFiscali?: unknown; praticalReference?: unknown; practicalReference?: unknown };
    try {
      body = JSON.parse(r.body);
    } catch {
      return problem(400, 'BAD_REQUEST', 'Corpo della richiesta non valido');
    }
    const codes = body.codiciFiscali;
    // The spec's field is praticalReference (sic); the community client's spelling is accepted too.
    const reference = body.praticalReference ?? body.practicalReference;
    if (!Array.isArray(codes) || codes.length === 0 || codes.length > MAX_LIST) return problem(400, 'BAD_REQUEST', `codiciFiscali: da 1 a ${MAX_LIST} codici`);
    if (!codes.every((c) => typeof c === 'string' && CODE.test(c))) return problem(400, 'BAD_REQUEST', 'codiciFiscali: codice fiscale non valido');
    if (typeof reference !== 'string' || reference === '') return problem(400, 'BAD_REQUEST', 'praticalReference obbligatorio');
    const id = o.lists.create(
      codes.map((c: string) => c.toUpperCase()),
      reference,
    );
    return json(
      202,
      { state: 'PRESA_IN_CARICO', message: 'Richiesta elenco presa in carico', id, dateTimeRequest: isoSeconds(o.clock.now()) },
      { location: `${origin(r)}${o.basePath}/listDigitalAddress/state/${id}` },
    );
  }

  function state(r: StandinRequest, id: string): StandinResponse {
    const current = o.lists.poll(id);
    if (!current) return problem(404, 'NOT_FOUND', 'Richiesta elenco non trovata');
    if (current === 'DISPONIBILE') {
      return json(
        303,
        { state: current, message: 'Richiesta elenco disponibile' },
        { location: `${origin(r)}${o.basePath}/listDigitalAddress/response/${id}` },
      );
    }
    return json(200, { state: current, message: current === 'PRESA_IN_CARICO' ? 'Richiesta elenco presa in carico' : 'Richiesta elenco in elaborazione' });
  }

  function response(id: string): StandinResponse {
    const codes = o.lists.codes(id);
    if (!codes) return problem(404, 'NOT_FOUND', 'Elenco non trovato o non ancora disponibile');
    const now = o.clock.now();
    // Codes without a domicile are listed too, with nothing in them.
    const list = codes.map((asked) => {
      const code = o.answerAs(asked);
      const entry = o.directory.get(code);
      return entry ? inadRecord(entry) : { codiceFiscale: code, since: isoSeconds(now), digitalAddress: [] };
    });
    return json(200, { list });
  }
}

function problem(status: number, type: ErrorType, detail: string): StandinResponse {
  return json(status, { status: String(status), type, detail }, { 'content-type': 'application/problem+json' });
}

function header(r: StandinRequest, name: string): string | undefined {
  const value = r.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function origin(r: StandinRequest): string {
  return `http://${header(r, 'host') ?? '127.0.0.1'}`;
}
