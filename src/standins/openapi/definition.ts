import type { StandinDefinition } from '../catalog.ts';
import { OPENAPI_STANDIN_TOKEN, startOpenapiStandin } from './openapi-standin.ts';

/** OpenAPI SpA's Company API for `cercapec standins` and the demo. */
export const openapiStandin: StandinDefinition = {
  source: 'openapi',
  description: 'OpenAPI SpA Company API (IT-pec) con token di prova fisso; PEC delle imprese',
  start: (o) => startOpenapiStandin({ dataset: o.dataset, port: o.port, delayMs: o.delayMs ?? [30, 200] }),
  sourceSection: (handle) => ({ baseUrl: handle.url, token: OPENAPI_STANDIN_TOKEN }),
  // Not INI-PEC's samples: the demo withholds these from INI-PEC, which is asked first (start-all.ts).
  sampleCodes: (dataset) => dataset.companies.slice(3, 6).map((c) => c.cf),
};
