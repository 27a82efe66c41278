import { z } from 'zod';
import { BATCH_MEDIA_TYPES } from './batch-media-types.ts';

/**
 * Batch shapes of the JSON API. Registered with ids, so /openapi.json names them; the upload
 * itself is a stream (CSV, XLSX or JSON) that the route reads as it arrives, so its schema only
 * documents the three media types.
 */
export const BatchStatusSchema = z
  .enum(['uploading', 'processing', 'completed'])
  .describe('uploading: rows are being read and their lookups created; processing: some lookups are not answered yet; completed: every row is settled');

export const BatchRowStatusSchema = z
  .enum(['queued', 'running', 'waiting_operator', 'found', 'not_found', 'failed', 'cancelled', 'invalid', 'refused'])
  .describe("A row's status: its lookup's, or invalid (no valid code in the row) or refused (credit ran out while the batch was being created)");

const count = z.number().int().min(0);

export const BatchCountsSchema = z
  .object({
    queued: count,
    running: count,
    waiting_operator: count,
    found: count,
    not_found: count,
    failed: count,
    cancelled: count,
    invalid: count,
    refused: count,
  })
  .describe('Rows by status (rows sharing a lookup count once each)')
  .meta({ id: 'BatchCounts' });

export const BatchSchema = z
  .object({
    id: z.string(),
    status: BatchStatusSchema,
    format: z.enum(['csv', 'xlsx', 'json']),
    column: z.string().nullable().describe('The input column read as codes'),
    columns: z.array(z.string()).describe('The input columns, in order (blank header names become column_N, repeated ones get _2, _3)'),
    rows: count.describe('Data rows in the upload'),
    validRows: count,
    invalidRows: count,
    distinctCodes: count.describe('Distinct valid codes: rows with the same code share one lookup'),
    newLookups: count.describe('Lookups this batch created and charged; rows with a code the account already had share that lookup, uncharged'),
    chargedCents: z.number().int(),
    counts: BatchCountsSchema,
    progress: z.number().min(0).max(1).describe('Share of rows settled (answered, invalid or refused)'),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    resultsUrl: z.string().describe('GET it with ?format=csv|xlsx|json'),
    callbackUrl: z.string().nullable().describe('Where batch.completed is posted (the account webhook when null and one is set)'),
  })
  .meta({ id: 'Batch' });

export const BatchListSchema = z.object({ items: z.array(BatchSchema), nextCursor: z.string().nullable() }).meta({ id: 'BatchList' });

export const BatchResultRowSchema = z
  .object({
    row: z.number().int().min(1).describe('1-based position among the data rows of the upload'),
    input: z.record(z.string(), z.string()).describe("The row's cells by input column"),
    code: z.string().nullable().describe('The normalised code; null for an invalid row'),
    status: BatchRowStatusSchema,
    pec: z.string().nullable().describe('The primary address'),
    addresses: z.array(z.string()).describe('Every address found, primary first'),
    source: z.string().nullable(),
    error: z.string().nullable().describe('Why the row has no answer: the invalid code, credit, or the technical failure'),
  })
  .meta({ id: 'BatchResultRow' });

/**
 * Every JSON value is a row the server takes (docs/batches.md): a code, a number (re-padded like a
 * numeric spreadsheet cell), an object with a code field, or anything else, which is an invalid
 * row rather than a refused upload. The document says so, so that a client validating against it
 * does not refuse what the server accepts.
 */
export const BatchJsonUploadSchema = z
  .array(
    z.union([
      z.string().describe('A code'),
      z.number().describe('A code typed as a number: padded with zeros to 11 digits when that gives a valid code'),
      z
        .object({ code: z.union([z.string(), z.number()]) })
        .catchall(z.unknown())
        .describe('A code with other fields, returned as input columns'),
      z
        .union([z.null(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())])
        .describe('Anything else (null, true, an array, an object without code): an invalid row, reported in the results'),
    ]),
  )
  .describe('A JSON batch: codes, or objects with a code field; other elements are invalid rows')
  .meta({ id: 'BatchJsonUpload' });

const jsonUploadRef = { $ref: '#/components/schemas/BatchJsonUpload' };

/**
 * The request body as documentation only: the route reads the raw stream. zod passes `content`
 * through to the JSON schema, where @fastify/swagger takes it as the per-media-type bodies.
 */
export const BatchUploadBody = z.unknown().meta({
  description:
    'The file, streamed. CSV: a header row (or a bare list of codes), `;` or `,`, UTF-8 with or without BOM. XLSX: the first worksheet. JSON: an array of codes or of objects with a code field.',
  content: {
    [BATCH_MEDIA_TYPES.csv]: { schema: { type: 'string', description: 'CSV text' } },
    [BATCH_MEDIA_TYPES.xlsx]: { schema: { type: 'string', contentMediaType: BATCH_MEDIA_TYPES.xlsx, description: 'An XLSX workbook' } },
    [BATCH_MEDIA_TYPES.json]: { schema: jsonUploadRef },
  },
});

export const BatchResultsContent = {
  description: 'One row per input row, in input order: the input columns, then code, status, pec, addresses, source, error',
  content: {
    'text/csv': { schema: z.string().describe('CSV with BOM; addresses joined by ";"') },
    [BATCH_MEDIA_TYPES.xlsx]: { schema: z.string().describe('An XLSX workbook (binary)') },
    'application/json': { schema: z.array(BatchResultRowSchema) },
  },
};
