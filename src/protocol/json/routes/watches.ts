import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemSchema } from '../../../resources/schemas.ts';
import { WatchAddResultSchema, WatchAddSchema, WatchDetailSchema, WatchEventListSchema, WatchListSchema } from '../../../resources/watch-schemas.ts';
import { sendProblem } from '../problems.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { addWatches } from '../../../watches/add-watches.ts';
import { listWatches, removeWatch } from '../../../watches/list-watches.ts';
import { listWatchEvents } from '../../../watches/list-events.ts';
import { codeHistory } from '../../../history/verify-address.ts';
import { validateTaxId } from '../../../taxid/index.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 402: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema };
const CodeParams = z.object({ code: z.string().max(64) });

/** A path code, normalised; a problem is sent (and null returned) when it is not a valid code. */
function pathCode(reply: FastifyReply, input: string): string | null {
  const checked = validateTaxId(input);
  if (checked.valid) return checked.code;
  sendProblem(reply, 'invalid_code', checked.message);
  return null;
}

/** Watches and their events (docs/watches.md). */
export async function watchRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, clock } = deps.lookups;
  const tags = ['watches'];

  api.post('/watches', {
    // 10,000 codes of up to 64 characters, quoted: above the 64 KB of the other routes.
    bodyLimit: 1024 * 1024,
    schema: {
      operationId: 'addWatches',
      summary: 'Start watching codes: every change of their PEC becomes an event',
      description: 'Invalid codes are listed in `rejected` and the others added; when none is valid the answer is 422. The first month of each new watch is charged now (402 when a prepaid account cannot pay it).',
      tags,
      body: WatchAddSchema,
      response: { 200: WatchAddResultSchema, ...problems },
    },
  }, async (req, reply) => {
    const report = await addWatches(store, accountOf(req).id, req.body.codes, { reference: req.body.reference ?? null, now: clock.now() });
    if (report.rejected.length === req.body.codes.length) {
      return sendProblem(reply, 'invalid_code', report.rejected.slice(0, 20).map((r) => `${r.input}: ${r.message}`).join('; ').slice(0, 1000));
    }
    return report;
  });

  api.get('/watches', {
    schema: {
      operationId: 'listWatches',
      summary: "The account's watches, oldest first",
      tags,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(200).optional() }),
      response: { 200: WatchListSchema, ...problems },
    },
  }, async (req, reply) => {
    const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
    if (req.query.cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
    const page = await listWatches(store.reader, accountOf(req).id, { after, limit: req.query.limit });
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next.at, page.next.id) : null };
  });

  api.get('/watches/events', {
    schema: {
      operationId: 'listWatchEvents',
      summary: "The account's watch events, oldest first",
      description: 'pec.added, pec.changed (before and after), pec.removed. Keep the last nextCursor and pass it back later to get only newer events.',
      tags,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), cursor: z.string().max(200).optional() }),
      response: { 200: WatchEventListSchema, ...problems },
    },
  }, async (req, reply) => {
    const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
    if (req.query.cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
    const page = await listWatchEvents(store.reader, accountOf(req).id, { after: after?.id ?? null, limit: req.query.limit });
    return { items: page.items, nextCursor: page.last ? encodeCursor(0, page.last) : null };
  });

  api.get('/watches/:code', {
    schema: {
      operationId: 'getWatch',
      summary: 'A watched code with its current address and its history',
      tags,
      params: CodeParams,
      response: { 200: WatchDetailSchema, ...problems },
    },
  }, async (req, reply) => {
    const code = pathCode(reply, req.params.code);
    if (code === null) return reply;
    const { items } = await listWatches(store.reader, accountOf(req).id, { after: null, limit: 1, code });
    if (items.length === 0) return sendProblem(reply, 'not_found', 'this code is not watched');
    return { ...items[0], history: await codeHistory(store.reader, code) };
  });

  api.delete('/watches/:code', {
    schema: {
      operationId: 'deleteWatch',
      summary: 'Stop watching a code',
      description: 'Events already made stay in the feed. The month already charged is not refunded.',
      tags,
      params: CodeParams,
      response: { 204: z.null(), ...problems },
    },
  }, async (req, reply) => {
    const code = pathCode(reply, req.params.code);
    if (code === null) return reply;
    if (!(await removeWatch(store.db, accountOf(req).id, code))) return sendProblem(reply, 'not_found', 'this code is not watched');
    return reply.code(204).send(null);
  });
}
