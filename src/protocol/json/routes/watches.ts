import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemSchema } from '../../../resources/schemas.ts';
import { WatchAddResultSchema, WatchAddSchema, WatchDetailSchema, WatchEventListSchema, WatchListSchema } from '../../../resources/watch-schemas.ts';
import { problemResponses, sendProblem } from '../problems.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { addWatches } from '../../../watches/add-watches.ts';
import { listWatches, removeWatch } from '../../../watches/list-watches.ts';
import { listWatchEvents } from '../../../watches/list-events.ts';
import { codeHistory } from '../../../history/verify-address.ts';
import { validateTaxId } from '../../../taxid/index.ts';
import { BATCH_MEDIA_TYPES, batchFormatOf } from '../../../batches/batch-status.ts';
import { BatchError } from '../../../batches/batch-error.ts';
import { createParseSlots } from '../../../batches/parse-slots.ts';
import { readWatchUpload } from '../read-watch-upload.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 402: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema };
const DEFAULT_LIMITS = { maxRows: 100_000, maxBytes: 50 * 1024 * 1024 };

/** The body as documentation: JSON is checked against WatchAdd in the handler, a file is read as a stream. */
const WatchAddBody = z.unknown().meta({
  description: 'JSON {codes, reference}, or a CSV/XLSX file whose code column is found as for batches (?column= to name it).',
  content: {
    'application/json': { schema: { $ref: '#/components/schemas/WatchAdd' } },
    [BATCH_MEDIA_TYPES.csv]: { schema: { type: 'string', description: 'CSV text' } },
    [BATCH_MEDIA_TYPES.xlsx]: { schema: { type: 'string', contentMediaType: BATCH_MEDIA_TYPES.xlsx, description: 'An XLSX workbook' } },
  },
});
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
  const { xlsxConcurrency, xlsxWaitMs, ...limits }: NonNullable<JsonApiDeps['batch']> = deps.batch ?? DEFAULT_LIMITS;
  const xlsxSlots = createParseSlots(xlsxConcurrency ?? 2);
  // Files reach the handler as streams (read as they arrive, never buffered whole); JSON is parsed as everywhere else.
  const rawBody = (_req: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void) => done(null, payload);
  app.addContentTypeParser([BATCH_MEDIA_TYPES.csv, BATCH_MEDIA_TYPES.xlsx], rawBody);

  api.post(
    '/watches',
    {
      // JSON: 10,000 codes of up to 64 characters, quoted: above the 64 KB of the other routes. Files: the batch limits.
      bodyLimit: 1024 * 1024,
      schema: {
        operationId: 'addWatches',
        summary: 'Start watching codes: every change of their PEC becomes an event',
        description: `Invalid codes are listed in \`rejected\` and the others added; when none is valid the answer is 422. The first month of each new watch is charged now (402 when a prepaid account cannot pay it). JSON takes up to 10,000 codes; a CSV or XLSX file (the batch parsers and code-column detection) up to ${limits.maxRows} rows and ${limits.maxBytes} bytes (413 beyond).`,
        tags,
        querystring: z.object({
          column: z
            .string()
            .min(1)
            .max(200)
            .optional()
            .describe('CSV/XLSX: the header of the column holding the codes; default: the first column of mostly valid codes'),
          reference: z.string().max(200).optional().describe('CSV/XLSX: a note of yours, shown with each watch'),
        }),
        body: WatchAddBody,
        response: { 200: WatchAddResultSchema, ...problems, ...problemResponses(413, 415, 503) },
      },
    },
    async (req, reply) => {
      const format = batchFormatOf(req.headers['content-type']);
      if (format === 'csv' || format === 'xlsx') return addFromFile(req, reply, format);
      if (format !== 'json')
        return sendProblem(reply, 'unsupported_media_type', `send application/json, ${BATCH_MEDIA_TYPES.csv} or ${BATCH_MEDIA_TYPES.xlsx}`);
      const body = WatchAddSchema.safeParse(req.body);
      if (!body.success)
        return sendProblem(
          reply,
          'invalid_request',
          body.error.issues
            .slice(0, 5)
            .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
            .join('; '),
        );
      return answer(
        reply,
        await addWatches(store, accountOf(req).id, body.data.codes, { reference: body.data.reference ?? null, now: clock.now() }),
        body.data.codes.length,
      );
    },
  );

  async function addFromFile(req: FastifyRequest, reply: FastifyReply, format: 'csv' | 'xlsx') {
    const query = req.query as { column?: string; reference?: string };
    if (Number(req.headers['content-length']) > limits.maxBytes) return refuse(req, reply, 'payload_too_large', `the upload is over ${limits.maxBytes} bytes`);
    if (!req.body) return sendProblem(reply, 'invalid_request', 'the upload is empty');
    // XLSX parses are bounded as for batches: a zip bomb costs memory until it is refused.
    const release = format === 'xlsx' ? await xlsxSlots.acquire(xlsxWaitMs ?? 5_000) : () => {};
    if (!release) {
      reply.header('retry-after', '5');
      return refuse(req, reply, 'unavailable', 'too many XLSX files are being read right now: retry in a few seconds');
    }
    try {
      const file = await readWatchUpload({
        format,
        body: req.body as Readable,
        column: query.column,
        maxBytes: limits.maxBytes,
        maxRows: limits.maxRows,
        maxInflatedBytes: limits.maxInflatedBytes,
      });
      const report = await addWatches(store, accountOf(req).id, file.inputs, {
        reference: query.reference ?? null,
        now: clock.now(),
        maxCodes: limits.maxRows,
      });
      return answer(reply, { ...report, rejected: [...file.rejected, ...report.rejected] }, file.inputs.length + file.rejected.length);
    } catch (error) {
      if (!(error instanceof BatchError)) throw error;
      return refuse(req, reply, error.kind === 'too_large' ? 'payload_too_large' : 'invalid_request', error.message);
    } finally {
      release();
    }
  }

  function answer(reply: FastifyReply, report: Awaited<ReturnType<typeof addWatches>>, asked: number) {
    if (report.rejected.length === asked) {
      return sendProblem(
        reply,
        'invalid_code',
        report.rejected
          .slice(0, 20)
          .map((r) => `${r.input}: ${r.message}`)
          .join('; ')
          .slice(0, 1000),
      );
    }
    return report;
  }

  api.get(
    '/watches',
    {
      schema: {
        operationId: 'listWatches',
        summary: "The account's watches, oldest first",
        tags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(200).optional() }),
        response: { 200: WatchListSchema, ...problems },
      },
    },
    async (req, reply) => {
      const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
      if (req.query.cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      const page = await listWatches(store.reader, accountOf(req).id, { after, limit: req.query.limit });
      return { items: page.items, nextCursor: page.next ? encodeCursor(page.next.at, page.next.id) : null };
    },
  );

  api.get(
    '/watches/events',
    {
      schema: {
        operationId: 'listWatchEvents',
        summary: "The account's watch events, oldest first",
        description: 'pec.added, pec.changed (before and after), pec.removed. Keep the last nextCursor and pass it back later to get only newer events.',
        tags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), cursor: z.string().max(200).optional() }),
        response: { 200: WatchEventListSchema, ...problems },
      },
    },
    async (req, reply) => {
      const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
      if (req.query.cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      const page = await listWatchEvents(store.reader, accountOf(req).id, { after: after?.id ?? null, limit: req.query.limit });
      return { items: page.items, nextCursor: page.last ? encodeCursor(0, page.last) : null };
    },
  );

  api.get(
    '/watches/:code',
    {
      schema: {
        operationId: 'getWatch',
        summary: 'A watched code with its current address and its history',
        tags,
        params: CodeParams,
        response: { 200: WatchDetailSchema, ...problems },
      },
    },
    async (req, reply) => {
      const code = pathCode(reply, req.params.code);
      if (code === null) return reply;
      const { items } = await listWatches(store.reader, accountOf(req).id, { after: null, limit: 1, code });
      if (items.length === 0) return sendProblem(reply, 'not_found', 'this code is not watched');
      return { ...items[0], history: await codeHistory(store.reader, code) };
    },
  );

  api.delete(
    '/watches/:code',
    {
      schema: {
        operationId: 'deleteWatch',
        summary: 'Stop watching a code',
        description: 'Events already made stay in the feed. The month already charged is not refunded.',
        tags,
        params: CodeParams,
        response: { 204: z.null(), ...problems },
      },
    },
    async (req, reply) => {
      const code = pathCode(reply, req.params.code);
      if (code === null) return reply;
      if (!(await removeWatch(store.db, accountOf(req).id, code))) return sendProblem(reply, 'not_found', 'this code is not watched');
      return reply.code(204).send(null);
    },
  );
}

/** A refusal before the body was read to its end closes the connection rather than draining it. */
function refuse(req: FastifyRequest, reply: FastifyReply, name: 'payload_too_large' | 'invalid_request' | 'unavailable', detail: string) {
  if (!req.raw.complete) reply.header('connection', 'close');
  return sendProblem(reply, name, detail);
}
