import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CercapecError, ErrorCode } from '../../errors.ts';
import { defineSource } from '../source-definition.ts';
import { createInadApi } from './api.ts';
import { createInadClient } from './client.ts';
import { createPdndVouchers } from './pdnd-voucher.ts';

export const INAD_DEFAULTS = {
  baseUrl: 'https://api.inad.gov.it/rest/inad/v1/domiciliodigitale',
  tokenUrl: 'https://auth.interop.pagopa.it/token.oauth2',
  audience: 'auth.interop.pagopa.it/client-assertion',
} as const;

/** The inad section's own options (docs/registries/inad.md). */
export const InadOptionsSchema = z
  .object({
    /** From the PDND e-service descriptor ("INAD CONSULTAZIONE DD"); collaudo: domiciliodigitaleapi.oscl.infocamere.it. */
    baseUrl: z.url().default(INAD_DEFAULTS.baseUrl),
    /** Collaudo: https://auth.uat.interop.pagopa.it/token.oauth2. */
    tokenUrl: z.url().default(INAD_DEFAULTS.tokenUrl),
    clientId: z.string().min(1),
    kid: z.string().min(1),
    purposeId: z.string().min(1),
    /** Collaudo: auth.uat.interop.pagopa.it/client-assertion. */
    audience: z.string().min(1).default(INAD_DEFAULTS.audience),
    /** The PKCS#8 PEM private key whose public half is registered on the PDND client. */
    privateKeyFile: z.string().min(1),
    defaultPracticalReference: z.string().trim().min(1).max(200).nullable().default(null),
    bulkThreshold: z.number().int().min(1).max(100_000).default(10),
    bulkPollIntervalMs: z.number().int().min(1).max(3_600_000).default(720_000),
    bulkMaxPolls: z.number().int().min(1).max(1_000).default(10),
  })
  .strict();

export const inadSource = defineSource({
  id: 'inad',
  description: 'INAD (domicili digitali di persone e professionisti) via PDND: estrazione puntuale e massiva',
  kinds: ['cf16', 'cf11'],
  options: InadOptionsSchema,
  // INAD takes up to 1,000 codes per list.
  defaultLimits: { batchSize: 1000 },
  create(options, ctx) {
    const keyPath = ctx.resolvePath(options.privateKeyFile);
    let privateKeyPem: string;
    try {
      privateKeyPem = readFileSync(keyPath, 'utf8');
    } catch (error) {
      throw new CercapecError(ErrorCode.invalidArgument, `registries file: sources.inad.privateKeyFile: cannot read ${keyPath}: ${(error as Error).message}`);
    }
    const vouchers = createPdndVouchers({
      source: 'inad',
      http: ctx.http,
      clock: ctx.clock,
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      kid: options.kid,
      purposeId: options.purposeId,
      audience: options.audience,
      privateKeyPem,
    });
    return createInadClient({
      source: 'inad',
      api: createInadApi({ source: 'inad', http: ctx.http, vouchers, baseUrl: options.baseUrl }),
      clock: ctx.clock,
      logger: ctx.logger,
      limits: ctx.limits,
      defaultPracticalReference: options.defaultPracticalReference,
      bulkThreshold: options.bulkThreshold,
      bulkPollIntervalMs: options.bulkPollIntervalMs,
      bulkMaxPolls: options.bulkMaxPolls,
    });
  },
});
