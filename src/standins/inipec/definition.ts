import type { StandinDefinition } from '../catalog.ts';
import { TEST_KEYS } from '../test-keys.ts';
import { INIPEC_STANDIN_CLIENT_ID, startInipecStandin, type InipecStandinHandle } from './server.ts';

/** INI-PEC (InfoCamere) for `cercapec standins` and the demo. */
export const inipecStandin: StandinDefinition = {
  source: 'inipec',
  description: 'INI-PEC (InfoCamere): JWS → token, richiestaElencoPec, getElencoPec ("in corso" per 2 controlli, poi l\'elenco)',
  start: (o) => startInipecStandin({ dataset: o.dataset, port: o.port, delayMs: o.delayMs ?? [40, 250] }),
  sourceSection: (handle) => ({
    baseUrl: (handle as InipecStandinHandle).baseUrl,
    clientId: INIPEC_STANDIN_CLIENT_ID,
    privateKeyFile: TEST_KEYS.clientKeyFile,
    certificateFile: TEST_KEYS.clientCertFile,
    // The stand-in's lists are ready after two polls: a second apart keeps the demo brisk.
    pollIntervalMs: 1_000,
    limits: { batchDelayMs: 200 },
  }),
  // professionals[0] is INAD's sample (INAD is asked first for 16-character codes); this one is withheld from INAD.
  sampleCodes: (dataset) => [dataset.companies[0].cf, dataset.companies[1].cf, dataset.professionals[1].cf],
};
