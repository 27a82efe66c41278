import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { submitLookup } from '../../../lookups/submit-lookup.ts';
import { cancelLookupById } from '../../../lookups/cancel-lookup.ts';
import { findAddresses, findLookup, loadLookupResources } from '../../../lookups/find-lookup.ts';
import { listLookups } from '../../../lookups/list-lookups.ts';
import type { RequestStatus } from '../../../store/schema.ts';
import { isPending } from '../../../lookups/lookup-status.ts';
import { isCercapecError } from '../../../errors.ts';
import { IdParams, LookupListSchema, LookupSchema, LookupStatusSchema, NewLookupSchema } from '../../../resources/schemas.ts';
import { toLookupResource } from '../../../resources/lookup-resource.ts';
import { problemResponses, sendProblem } from '../problems.ts';
import { callbackUrlProblem } from '../../../webhooks/callback-url.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';

const problems = problemResponses(400, 401, 402, 404, 409, 422, 429);

export async function lookupRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps.lookups;

  async function resource(accountId: string, id: string) {
    const row = await findLookup(store, accountId, id);
    if (!row || row.deleted_at !== null) return null;
    return toLookupResource(row, await findAddresses(store, id));
  }

  api.post(
    '/lookups',
    {
      schema: {
        operationId: 'createLookup',
        summary: 'Submit a lookup',
        description:
          'Accepted lookups answer 202. A lookup for a code this account already has (not deleted) is returned as it is with 200 and nothing is charged. With an Idempotency-Key, a retry with the same body returns the same lookup; the same key with another body is a 422 problem.',
        tags: ['lookups'],
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough(),
        body: NewLookupSchema,
        response: { 200: LookupSchema, 202: LookupSchema, ...problems, ...problemResponses(413, 415) },
      },
    },
    async (req, reply) => {
      const account = accountOf(req);
      const body = req.body;
      if (body.callbackUrl) {
        const why = callbackUrlProblem(body.callbackUrl, deps.allowPrivateCallbacks);
        if (why) return sendProblem(reply, 'invalid_callback_url', why);
      }
      const key = req.headers['idempotency-key'];
      const idempotency = typeof key === 'string' ? { key, bodyHash: hashBody(body) } : null;
      try {
        const { id, replayed } = await submitLookup(deps.lookups, {
          account,
          code: body.code,
          reference: body.reference,
          callbackUrl: body.callbackUrl,
          via: 'json',
          idempotency,
        });
        // A replay answers with the lookup even when it was deleted since (then cancelled or answered).
        const row = (await findLookup(store, account.id, id))!;
        return reply.code(replayed ? 200 : 202).send(toLookupResource(row, await findAddresses(store, id)));
      } catch (error) {
        if (isCercapecError(error, 'duplicate_request') && typeof error.details.id === 'string') {
          const existing = await resource(account.id, error.details.id);
          if (existing) return reply.code(200).header('x-cercapec-duplicate', 'true').send(existing);
        }
        throw error;
      }
    },
  );

  api.get(
    '/lookups/:id',
    {
      schema: {
        operationId: 'getLookup',
        summary: 'Get a lookup, optionally waiting for its answer',
        description:
          '?wait=N (seconds, up to the configured maximum) holds the request open until the lookup is answered or N seconds pass, then answers with the lookup as it is.',
        tags: ['lookups'],
        params: IdParams,
        querystring: z.object({ wait: z.coerce.number().int().min(0).max(deps.maxWaitSeconds).optional() }),
        response: { 200: LookupSchema, ...problems },
      },
    },
    async (req, reply) => {
      const account = accountOf(req);
      const wait = req.query.wait ?? 0;
      // Subscribe before reading, so an answer that lands between the read and the wait is not missed.
      const abort = new AbortController();
      const answered = wait > 0 ? deps.lookups.notifier.waitForAnswer(req.params.id, wait * 1000, abort.signal) : null;
      req.raw.once('close', () => abort.abort());
      try {
        const first = await resource(account.id, req.params.id);
        if (!first) return sendProblem(reply, 'not_found', 'no such lookup');
        if (!answered || !isPending(first.status)) return first;
        await answered;
        return (await resource(account.id, req.params.id)) ?? first;
      } finally {
        abort.abort();
      }
    },
  );

  api.delete(
    '/lookups/:id',
    {
      schema: {
        operationId: 'cancelLookup',
        summary: 'Cancel (delete) a lookup',
        description:
          'A lookup not answered yet is cancelled and refunded; an answered one is deleted (it stays charged). Either way the code can be looked up again.',
        tags: ['lookups'],
        params: IdParams,
        response: { 200: LookupSchema, ...problems },
      },
    },
    async (req) => {
      const account = accountOf(req);
      await cancelLookupById(deps.lookups, account, req.params.id);
      const row = await findLookup(store, account.id, req.params.id);
      return toLookupResource(row!, await findAddresses(store, req.params.id));
    },
  );

  api.get(
    '/lookups',
    {
      schema: {
        operationId: 'listLookups',
        summary: 'List lookups, newest first',
        tags: ['lookups'],
        querystring: z.object({
          status: LookupStatusSchema.optional(),
          code: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          cursor: z.string().max(200).optional(),
        }),
        response: { 200: LookupListSchema, ...problems },
      },
    },
    async (req: FastifyRequest<{ Querystring: { status?: string; code?: string; limit: number; cursor?: string } }>, reply) => {
      const account = accountOf(req);
      const { status, code, limit, cursor } = req.query;
      const after = cursor ? decodeCursor(cursor) : null;
      if (cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      const rows = await listLookups(store.reader, account.id, {
        status: status as RequestStatus | undefined,
        code: code
          ? code
              .toUpperCase()
              .replace(/[\s\-:.]/g, '')
              .replace(/^IT(?=\d{11}$)/, '')
          : undefined,
        after,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: await loadLookupResources(store, page),
        nextCursor: rows.length > limit && last ? encodeCursor(Number(last.created_at), last.id) : null,
      };
    },
  );
}

/** Canonical body hash: key order must not make a retry look like another request. */
function hashBody(body: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(body)
      .sort()
      .map((k) => [k, body[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}
