import type { StandinDefinition } from '../catalog.ts';
import { DUMP_PATH, startIpaCkanStandin } from './ckan-standin.ts';
import { STANDIN_IPA_AUTH_ID, startIpaWs23Standin } from './ws23-standin.ts';

/** IPA's open-data portal serving the enti dump of the seeded enti (for the ipa-mirror source). */
export const ipaCkanStandin: StandinDefinition = {
  source: 'ipa-mirror',
  description: 'IPA open data (CKAN): the enti dump, with ETag/Last-Modified and 304',
  start: (o) => startIpaCkanStandin(o),
  // Checked hourly: the stand-in's dump never changes unless a test changes it.
  sourceSection: (handle) => ({ dumpUrl: `${handle.url}${DUMP_PATH}?bom=True&format=csv`, refreshHours: 1 }),
  sampleCodes: (dataset) => dataset.enti.slice(0, 3).map((e) => e.cf),
};

/** IPA web service WS23 over the seeded enti (for the ipa-ws23 source). */
export const ipaWs23Standin: StandinDefinition = {
  source: 'ipa-ws23',
  description: 'IPA web service WS23: domicili digitali by CF (AUTH_ID checked)',
  start: (o) => startIpaWs23Standin(o),
  sourceSection: (handle) => ({ baseUrl: handle.url, authId: STANDIN_IPA_AUTH_ID }),
  sampleCodes: (dataset) => dataset.enti.slice(3, 6).map((e) => e.cf),
};
