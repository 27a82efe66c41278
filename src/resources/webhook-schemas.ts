import { z } from 'zod';

/** The webhook shapes of the JSON API (validation, serialisation and /openapi.json). */
export const AccountWebhookSchema = z
  .object({
    url: z.string().nullable().describe('The default callback: lookups made without their own callbackUrl are posted here when answered; null when none'),
    secretHint: z.string().describe('The last characters of the signing secret, to tell secrets apart'),
    secret: z
      .string()
      .optional()
      .describe(
        'The whole signing secret, present only the one time it is shown: the first read after it was created, and the answer to rotate-secret. Store it: afterwards only secretHint is shown',
      ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AccountWebhook' });

export const AccountWebhookUpdateSchema = z
  .object({
    url: z.string().min(1).max(2000).describe('http(s) URL to POST every answered lookup of the account to (unless the lookup has its own callbackUrl)'),
    secret: z
      .string()
      .min(24)
      .max(200)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional()
      .describe('A signing secret of your choice (24-200 printable ASCII characters); omitted: the current one stays, or one is generated'),
  })
  .strict()
  .meta({ id: 'AccountWebhookUpdate' });

export const WebhookAttemptSchema = z
  .object({
    at: z.string().describe('When the attempt was made (ISO 8601)'),
    statusCode: z.number().int().nullable().describe("The receiver's HTTP status; null when no response came (refused connection, timeout, blocked target)"),
    error: z.string().nullable().describe('Why the attempt failed; null when it delivered'),
    durationMs: z.number().int(),
  })
  .meta({ id: 'WebhookAttempt' });

export const WebhookDeliverySchema = z
  .object({
    id: z.string().describe('Sent as x-cercapec-delivery: the same on every attempt, so receivers can deduplicate'),
    event: z.string().describe('lookup.answered (or batch.completed); sent as x-cercapec-event'),
    url: z.string(),
    lookupId: z.string().nullable(),
    batchId: z.string().nullable(),
    status: z
      .enum(['pending', 'delivered', 'failed'])
      .describe(
        'pending: not delivered yet, another attempt is due at nextAttemptAt; delivered: a 2xx answer; failed: attempts ran out (retry window) or the target is not allowed',
      ),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
    attempts: z.array(WebhookAttemptSchema).describe('Every attempt, oldest first'),
  })
  .meta({ id: 'WebhookDelivery' });

export const WebhookDeliveryListSchema = z
  .object({
    items: z.array(WebhookDeliverySchema),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last one'),
  })
  .meta({ id: 'WebhookDeliveryList' });
