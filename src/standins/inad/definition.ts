import type { StandinDefinition } from '../catalog.ts';
import type { StandinHandle } from '../standin-server.ts';
import { TEST_KEYS } from '../test-keys.ts';
import { INAD_STANDIN, startInadStandin } from './inad-standin.ts';

/** The registries-file section pointing cercapec's inad client at a running stand-in (test keys, test client). */
export function inadStandinSection(handle: StandinHandle): Record<string, unknown> {
  return {
    baseUrl: `${handle.url}${INAD_STANDIN.basePath}`,
    tokenUrl: `${handle.url}${INAD_STANDIN.tokenPath}`,
    clientId: INAD_STANDIN.clientId,
    kid: TEST_KEYS.kid,
    purposeId: INAD_STANDIN.purposeId,
    audience: INAD_STANDIN.audience,
    privateKeyFile: TEST_KEYS.clientKeyFile,
    defaultPracticalReference: 'demo cercapec',
    // A second rather than AgID's 12 minutes: the stand-in prepares a list in three checks.
    bulkPollIntervalMs: 1_000,
  };
}

/** PDND + INAD for `cercapec standins` and the demo. */
export const inadStandin: StandinDefinition = {
  source: 'inad',
  description:
    'PDND (client assertion → voucher) e INAD: estrazione puntuale e massiva (elenco pronto al terzo controllo); persone, domicili cessati, professionisti',
  start: (o) => startInadStandin({ dataset: o.dataset, port: o.port, delayMs: o.delayMs ?? [30, 200] }),
  sourceSection: inadStandinSection,
  sampleCodes(dataset) {
    const person = dataset.persons.find((p) => !p.ceased);
    const ceased = dataset.persons.find((p) => p.ceased);
    return [person?.cf, dataset.professionals[0]?.cf, ceased?.cf].filter((c): c is string => !!c);
  },
};
