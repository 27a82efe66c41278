import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemSchema } from '../../../resources/schemas.ts';
import { VerificationSchema } from '../../../resources/watch-schemas.ts';
import { sendProblem } from '../problems.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { verifyForAccount } from '../../../history/verify-for-account.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 402: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema };

/** Point-in-time verification of an address against the history (docs/watches.md). */
export async function verificationRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, clock } = deps.lookups;

  api.get(
    '/verifications',
    {
      schema: {
        operationId: 'verifyAddress',
        summary: 'Was this PEC the code’s address at that time?',
        description:
          'match: a source gave that address then; no_match: the sources that covered that time gave another or none; unknown: the history does not cover it. With INAD configured and the account’s purpose set, INAD’s own /verify answer for a cf16 is one more evidence item (docs/watches.md). Charged like a lookup (or the account’s verification price).',
        tags: ['watches'],
        querystring: z.object({
          code: z.string().max(64),
          pec: z.string().min(3).max(320),
          at: z.string().max(40).optional().describe('ISO 8601 time; default now'),
        }),
        response: { 200: VerificationSchema, ...problems },
      },
    },
    async (req, reply) => {
      const at = req.query.at === undefined ? clock.now() : Date.parse(req.query.at);
      if (!Number.isFinite(at) || (req.query.at !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(req.query.at)))
        return sendProblem(reply, 'invalid_request', 'at must be an ISO 8601 time, e.g. 2026-06-30T12:00:00Z');
      return verifyForAccount(store, accountOf(req).id, { code: req.query.code, pec: req.query.pec, at, now: clock.now() }, deps.verifier);
    },
  );
}
