import type { StandinDataset } from '../dataset.ts';
import { json, startStandin, type StandinHandle, type StandinRequest, type StandinResponse } from '../standin-server.ts';

/** The bearer token the stand-in accepts: public, for tests and the demo only. */
export const OPENAPI_STANDIN_TOKEN = 'cercapec-standin-openapi-token';

export interface OpenapiStandinOptions {
  port?: number;
  dataset: StandinDataset;
  delayMs?: [number, number];
  /** Calls the wallet pays for before it is empty (402). Default unlimited. */
  credit?: number;
}

export interface OpenapiStandinHandle extends StandinHandle {
  /** Refills (or empties, with 0) the wallet: calls answered 200 before 402. */
  setCredit(calls: number): void;
  /** From now on, asked `asked`, answer the record of `instead` (tests: an answer about someone else). */
  misdirect(asked: string, instead: string): void;
}

const CODE = /^(?:\d{11}|[A-Za-z0-9]{16})$/;

/**
 * OpenAPI SpA's Company API, GET /IT-pec/{code} with a bearer token: the dataset's companies
 * answer {"success":true,"data":[{"pec":…}]}; a public body's code (known, not a company)
 * answers success with empty data; other codes 404. Each answered call costs one unit of credit.
 */
export async function startOpenapiStandin(o: OpenapiStandinOptions): Promise<OpenapiStandinHandle> {
  const companies = new Map(o.dataset.companies.map((c) => [c.cf, c]));
  const enti = new Set(o.dataset.enti.map((e) => e.cf));
  let credit = o.credit ?? Number.POSITIVE_INFINITY;
  const misdirected = new Map<string, string>();

  function handle(r: StandinRequest): StandinResponse {
    const m = /^\/IT-pec\/([^/]+)$/.exec(r.path);
    if (r.method !== 'GET' || !m) return answer(404, false, 'Endpoint not found', []);
    if (r.headers.authorization !== `Bearer ${OPENAPI_STANDIN_TOKEN}`) return answer(401, false, 'Unauthorized: invalid or missing token', null);
    const asked = decodeURIComponent(m[1]).toUpperCase();
    const code = misdirected.get(asked) ?? asked;
    if (!CODE.test(code)) return answer(400, false, 'Invalid tax code or VAT number', null);
    if (credit <= 0) return answer(402, false, 'Insufficient credit in the wallet', null);
    credit -= 1;
    const company = companies.get(code);
    if (company) return answer(200, true, '', [{ cf: company.cf, denominazione: company.name, pec: company.pec }]);
    if (enti.has(code)) return answer(200, true, 'No PEC found', []);
    return answer(404, false, 'No results found', []);
  }

  const server = await startStandin({ name: 'openapi', port: o.port, delayMs: o.delayMs, handle });
  return Object.assign(server, {
    setCredit(calls: number) {
      credit = calls;
    },
    misdirect(asked: string, instead: string) {
      misdirected.set(asked, instead);
    },
  });
}

function answer(status: number, success: boolean, message: string, data: unknown): StandinResponse {
  return json(status, { success, data, message, error: success ? null : status });
}
