import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createBatch } from '../../../batches/create-batch.ts';
import { BatchError } from '../../../batches/batch-error.ts';
import { BATCH_MEDIA_TYPES, batchFormatOf } from '../../../batches/batch-status.ts';
import { batchResultPages } from '../../../batches/batch-results.ts';
import { listBatches } from '../../../batches/list-batches.ts';
import { loadBatchSummary, summarise } from '../../../batches/batch-summary.ts';
import { writeResults, type ResultFormat } from '../../../batches/write-batch-results.ts';
import { BatchListSchema, BatchResultsContent, BatchSchema, BatchUploadBody } from '../../../resources/batch-schemas.ts';
import { IdParams } from '../../../resources/schemas.ts';
import { problemResponses, sendProblem } from '../problems.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { toBatchResource } from '../../../resources/batch-resource.ts';
import { callbackUrlProblem } from '../../../webhooks/callback-url.ts';
import { createParseSlots } from '../../../batches/parse-slots.ts';

const problems = problemResponses(400, 401, 404, 429);
const DEFAULT_LIMITS = { maxRows: 100_000, maxBytes: 50 * 1024 * 1024 };

/**
 * /v1/batches: many lookups from one file. Uploads are streams: this scope's content-type
 * parsers hand the raw body to the handler, which parses it as it arrives (never buffered whole).
 */
export async function batchRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps.lookups;
  const { xlsxConcurrency, xlsxWaitMs, ...limits }: NonNullable<JsonApiDeps['batch']> = deps.batch ?? DEFAULT_LIMITS;
  const xlsxSlots = createParseSlots(xlsxConcurrency ?? 2);

  app.removeAllContentTypeParsers();
  const rawBody = (_req: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void) => done(null, payload);
  app.addContentTypeParser(Object.values(BATCH_MEDIA_TYPES), rawBody);
  // Anything else reaches the handler too, for a 415 that names the accepted types.
  app.addContentTypeParser('*', rawBody);

  api.post(
    '/batches',
    {
      schema: {
        operationId: 'createBatch',
        summary: 'Upload a batch of codes (CSV, XLSX or JSON)',
        description: `Creates one lookup per distinct new code and answers 202 with the batch. Invalid rows are reported, not refused. Rows with the same code share one lookup; a code the account already has links to that lookup, uncharged. A prepaid account that cannot pay for every new code is refused as a whole (402, nothing charged). Up to ${limits.maxRows} rows and ${limits.maxBytes} bytes (413 beyond). An upload answered with an error leaves nothing behind and nothing charged. With an Idempotency-Key, a retry with the same key and the same upload answers 200 with the batch the first one created (charged once); the same key with another upload is a 422 problem.`,
        tags: ['batches'],
        querystring: z.object({
          column: z
            .string()
            .min(1)
            .max(200)
            .optional()
            .describe('CSV/XLSX: the header of the column holding the codes; default: the first column of mostly valid codes'),
          callbackUrl: z.string().max(2000).optional().describe('POST the batch here (batch.completed, signed like every webhook) when every row is answered'),
        }),
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough(),
        body: BatchUploadBody,
        response: { 200: BatchSchema, 202: BatchSchema, ...problems, ...problemResponses(402, 413, 415, 422, 503) },
      },
    },
    async (req, reply) => {
      const account = accountOf(req);
      const format = batchFormatOf(req.headers['content-type']);
      if (!format) return refuse(req, reply, 'unsupported_media_type', `send ${Object.values(BATCH_MEDIA_TYPES).join(', ')}`);
      if (Number(req.headers['content-length']) > limits.maxBytes)
        return refuse(req, reply, 'payload_too_large', `the upload is over ${limits.maxBytes} bytes`);
      if (!req.body) return sendProblem(reply, 'invalid_request', 'the upload is empty');
      const callbackUrl = req.query.callbackUrl;
      if (callbackUrl) {
        const why = callbackUrlProblem(callbackUrl, deps.allowPrivateCallbacks);
        if (why) return refuse(req, reply, 'invalid_request', `callbackUrl: ${why}`);
      }
      // XLSX parses are bounded: a zip bomb costs memory until it is refused (parse-slots.ts).
      const release = format === 'xlsx' ? await xlsxSlots.acquire(xlsxWaitMs ?? 5_000) : () => {};
      if (!release) {
        reply.header('retry-after', '5');
        return refuse(req, reply, 'unavailable', 'too many XLSX files are being read right now: retry in a few seconds');
      }
      try {
        const key = req.headers['idempotency-key'];
        const idempotencyKey = typeof key === 'string' ? key : null;
        const { id, replayed } = await createBatch(deps.lookups, {
          account,
          format,
          body: req.body as Readable,
          column: req.query.column,
          callbackUrl: callbackUrl ?? null,
          idempotencyKey,
          ...limits,
        });
        return reply.code(replayed ? 200 : 202).send(toBatchResource((await loadBatchSummary(store.db, account.id, id))!));
      } catch (error) {
        if (!(error instanceof BatchError)) throw error;
        return refuse(req, reply, error.kind === 'too_large' ? 'payload_too_large' : 'invalid_request', error.message);
      } finally {
        release();
      }
    },
  );

  api.get(
    '/batches/:id',
    {
      schema: {
        operationId: 'getBatch',
        summary: 'A batch with its progress',
        tags: ['batches'],
        params: IdParams,
        response: { 200: BatchSchema, ...problems },
      },
    },
    async (req, reply) => {
      const summary = await loadBatchSummary(store.db, accountOf(req).id, req.params.id);
      return summary ? toBatchResource(summary) : sendProblem(reply, 'not_found', 'no such batch');
    },
  );

  api.get(
    '/batches/:id/results',
    {
      schema: {
        operationId: 'getBatchResults',
        summary: 'The results of a batch, one row per input row, streamed',
        tags: ['batches'],
        params: IdParams,
        querystring: z.object({ format: z.enum(['csv', 'xlsx', 'json']).default('csv') }),
        response: { 200: BatchResultsContent, ...problems },
      },
    },
    async (req, reply) => {
      const summary = await loadBatchSummary(store.db, accountOf(req).id, req.params.id);
      if (!summary) return sendProblem(reply, 'not_found', 'no such batch');
      const { batch } = summary;
      const format = req.query.format as ResultFormat;
      const columns = JSON.parse(batch.input_columns) as string[];
      const body = writeResults(format, { columns, pages: batchResultPages(store, batch.id, columns.length), delimiter: batch.csv_delimiter ?? undefined });
      const type = format === 'csv' ? 'text/csv; charset=utf-8' : format === 'json' ? 'application/json; charset=utf-8' : BATCH_MEDIA_TYPES.xlsx;
      return reply
        .type(type)
        .header('content-disposition', `attachment; filename="${batch.id}.${format}"`)
        .send(body as never); // a stream: the schema documents it, nothing serialises it
    },
  );

  api.get(
    '/batches',
    {
      schema: {
        operationId: 'listBatches',
        summary: 'List batches, newest first',
        tags: ['batches'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(200).optional() }),
        response: { 200: BatchListSchema, ...problems },
      },
    },
    async (req, reply) => {
      const account = accountOf(req);
      const { limit, cursor } = req.query;
      const after = cursor ? decodeCursor(cursor) : null;
      if (cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      const rows = await listBatches(store.reader, account.id, { limit, after });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const items = [];
      for (const batch of page) items.push(toBatchResource(await summarise(store.reader, batch)));
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(Number(last.created_at), last.id) : null };
    },
  );
}

/** A refusal before the body was read to its end closes the connection rather than draining it. */
function refuse(
  req: FastifyRequest,
  reply: FastifyReply,
  name: 'unsupported_media_type' | 'payload_too_large' | 'invalid_request' | 'unavailable',
  detail: string,
) {
  if (!req.raw.complete) reply.header('connection', 'close');
  return sendProblem(reply, name, detail);
}
