import { z } from 'zod';
import { defineSource } from '../source-definition.ts';
import { createOpenapiClient } from './client.ts';

/** The openapi section's own options (docs/registries/openapi.md). */
export const OpenapiOptionsSchema = z
  .object({
    /** Sandbox: https://test.company.openapi.com. */
    baseUrl: z.url().default('https://company.openapi.com'),
    /** The bearer token from oauth.openapi.com with the IT-pec scope; normally "env:CERCAPEC_OPENAPI_TOKEN". */
    token: z.string().min(1),
  })
  .strict();

export const openapiSource = defineSource({
  id: 'openapi',
  description: 'OpenAPI SpA Company API (IT-pec): PEC di imprese, a pagamento',
  kinds: ['cf11', 'cf16'],
  options: OpenapiOptionsSchema,
  create(options, ctx) {
    return createOpenapiClient({ source: 'openapi', http: ctx.http, baseUrl: options.baseUrl, token: options.token });
  },
});
