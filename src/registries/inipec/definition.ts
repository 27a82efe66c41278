import { z } from 'zod';
import { defineSource } from '../source-definition.ts';
import { createInipecApi } from './api.ts';
import { createBulkLookups } from './bulk-lookups.ts';
import { createClientAssertion } from './client-assertion.ts';
import { createTokenCache } from './token-cache.ts';

export const InipecOptionsSchema = z
  .object({
    /** InfoCamere's base path, e.g. https://…/ic/ce/wspa/wspa/rest (no trailing slash needed). */
    baseUrl: z.url({ protocol: /^https?$/ }),
    clientId: z.string().min(1),
    /** PEM private key (PKCS#8 or PKCS#1) registered with InfoCamere; a path, relative to the registries file. */
    privateKeyFile: z.string().min(1),
    /** PEM certificate of that key: it travels in the JWS header (x5c). */
    certificateFile: z.string().min(1),
    /** The JWS claim `aud`; default baseUrl. */
    audience: z.string().min(1).optional(),
    scope: z.string().min(1).default('pec-pa'),
    /** Between two getElencoPec calls: PagoPA SEND polls every 30 s. */
    pollIntervalMs: z.number().int().min(1).max(3_600_000).default(30_000),
    /** "In progress" answers tolerated in one wait (PagoPA SEND: 24); then a transient error and the job retries. */
    maxPolls: z.number().int().min(1).max(1000).default(24),
    /** Token lifetime when the token is not a JWT carrying `exp`. */
    tokenLifetimeSeconds: z.number().int().min(10).max(86_400).default(300),
    /** A request not downloaded after this long is given up and its codes asked again (PagoPA SEND: 3,600 s). */
    abandonAfterMinutes: z
      .number()
      .min(1)
      .max(24 * 60)
      .default(60),
  })
  .strict();

export type InipecOptions = z.infer<typeof InipecOptionsSchema>;

/**
 * INI-PEC through InfoCamere's bulk API (richiestaElencoPec, then getElencoPec polled): the PEC
 * of companies (Registro Imprese) and of professionals in Ordini and Collegi.
 */
export const inipecSource = defineSource({
  id: 'inipec',
  description: "INI-PEC (InfoCamere): PEC di imprese e professionisti, richieste a lotti con attesa dell'elenco",
  kinds: ['cf11', 'cf16'],
  options: InipecOptionsSchema,
  // InfoCamere takes at most 100 codes a request; waiting 1 s for more costs little next to a 30 s poll.
  defaultLimits: { batchSize: 100, batchDelayMs: 1_000 },
  create(options, ctx) {
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    const lifetime = new AbortController();
    const assertion = createClientAssertion({
      privateKeyFile: ctx.resolvePath(options.privateKeyFile),
      certificateFile: ctx.resolvePath(options.certificateFile),
      clientId: options.clientId,
      audience: options.audience ?? baseUrl,
      scope: options.scope,
    });
    const tokens = createTokenCache({
      source: 'inipec',
      http: ctx.http,
      clock: ctx.clock,
      assertion,
      authUrl: `${baseUrl}/authentication?client_id=${encodeURIComponent(options.clientId)}`,
      fallbackLifetimeMs: options.tokenLifetimeSeconds * 1000,
      signal: lifetime.signal,
    });
    const api = createInipecApi({
      source: 'inipec',
      http: ctx.http,
      clock: ctx.clock,
      tokens,
      baseUrl,
      clientId: options.clientId,
      scope: options.scope,
      signal: lifetime.signal,
    });
    const bulk = createBulkLookups({
      source: 'inipec',
      api,
      clock: ctx.clock,
      logger: ctx.logger,
      batchSize: ctx.limits.batchSize,
      batchDelayMs: ctx.limits.batchDelayMs,
      pollIntervalMs: options.pollIntervalMs,
      maxPolls: options.maxPolls,
      abandonAfterMs: options.abandonAfterMinutes * 60_000,
      signal: lifetime.signal,
    });
    return {
      id: 'inipec',
      kinds: ['cf11', 'cf16'],
      lookup: (query, signal) => bulk.lookup(query.code, signal),
      details: async () => ({ codesAwaitingList: bulk.pendingCodes() }),
      async close() {
        lifetime.abort();
      },
    };
  },
});
