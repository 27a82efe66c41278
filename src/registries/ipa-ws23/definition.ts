import { z } from 'zod';
import { defineSource } from '../source-definition.ts';
import { createWs23Client } from './client.ts';

/**
 * `ipa-ws23`: IPA's WS23 web service, asked code by code. Needs a free AUTH_ID from IPA
 * (normally "env:CERCAPEC_IPA_AUTH_ID" in the registries file). docs/registries/ipa-ws23.md.
 */
export const ipaWs23Source = defineSource({
  id: 'ipa-ws23',
  description: 'IPA web service WS23: domicili digitali of public bodies by codice fiscale (AUTH_ID)',
  kinds: ['cf11'],
  options: z
    .object({
      baseUrl: z.url().default('https://www.indicepa.gov.it'),
      authId: z.string().trim().min(1, 'authId is required (e.g. "env:CERCAPEC_IPA_AUTH_ID")'),
      /** cod_err values that mean "not in the archive": IPA documents 23 for COD_AMM; WS23's own is not published. */
      notFoundCodes: z.array(z.number().int()).default([23]),
    })
    .strict(),
  // IPA's web services are free and shared, and answer one code per call: stay gentle.
  defaultLimits: { concurrency: 2, ratePerSecond: 5 },
  create: (options, ctx) => createWs23Client('ipa-ws23', options, ctx.http),
});
