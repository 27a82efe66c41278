import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountWebhooksTable } from '../../../store/schema.ts';
import { clearAccountWebhook, readAccountWebhook, rotateWebhookSecret, setAccountWebhook, type AccountWebhookView } from '../../../webhooks/account-webhook.ts';
import { listDeliveries } from '../../../webhooks/list-deliveries.ts';
import { secretHint } from '../../../webhooks/sign.ts';
import { findLookup } from '../../../lookups/find-lookup.ts';
import { IdParams, ProblemSchema } from '../../../resources/schemas.ts';
import { AccountWebhookUpdateSchema, AccountWebhookSchema, WebhookDeliveryListSchema, WebhookDeliverySchema } from '../../../resources/webhook-schemas.ts';
import { callbackUrlProblem } from '../../../webhooks/callback-url.ts';
import { sendProblem } from '../problems.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema };
const iso = (ms: number) => new Date(Number(ms)).toISOString();

function view(row: AccountWebhooksTable, revealed: string | null = null) {
  return {
    url: row.url,
    secretHint: secretHint(row.secret),
    ...(revealed ? { secret: revealed } : {}),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
const shown = (v: AccountWebhookView) => view(v.row, v.revealed);

/** The account's webhook settings and the delivery log. docs/webhooks.md describes both. */
export async function webhookRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, clock } = deps.lookups;
  const tags = ['webhooks'];

  api.get(
    '/account/webhook',
    {
      schema: {
        operationId: 'getAccountWebhook',
        summary: "The account's webhook settings",
        description: 'The signing secret is created at first need and shown whole once (the first read); afterwards only secretHint.',
        tags,
        response: { 200: AccountWebhookSchema, ...problems },
      },
    },
    async (req) => shown(await readAccountWebhook(store.db, accountOf(req).id, clock.now())),
  );

  api.put(
    '/account/webhook',
    {
      schema: {
        operationId: 'putAccountWebhook',
        summary: "Set the account's default callback URL (and optionally its signing secret)",
        tags,
        body: AccountWebhookUpdateSchema,
        response: { 200: AccountWebhookSchema, ...problems },
      },
    },
    async (req, reply) => {
      const why = callbackUrlProblem(req.body.url, deps.allowPrivateCallbacks);
      if (why) return sendProblem(reply, 'invalid_callback_url', why);
      return shown(await setAccountWebhook(store.db, accountOf(req).id, req.body, clock.now()));
    },
  );

  api.delete(
    '/account/webhook',
    {
      schema: {
        operationId: 'deleteAccountWebhook',
        summary: 'Remove the default callback URL',
        description: 'Lookups with their own callbackUrl are still delivered, signed with the same secret, which stays.',
        tags,
        response: { 200: AccountWebhookSchema, ...problems },
      },
    },
    async (req) => view(await clearAccountWebhook(store.db, accountOf(req).id, clock.now())),
  );

  api.post(
    '/account/webhook/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        summary: 'Replace the signing secret; the new one is in this answer only',
        description: 'Every attempt from now on, retries of earlier deliveries included, is signed with the new secret.',
        tags,
        response: { 200: AccountWebhookSchema, ...problems },
      },
    },
    async (req) => shown(await rotateWebhookSecret(store.db, accountOf(req).id, clock.now())),
  );

  api.get(
    '/lookups/:id/deliveries',
    {
      schema: {
        operationId: 'listLookupDeliveries',
        summary: "A lookup's webhook deliveries and their attempts",
        tags,
        params: IdParams,
        response: { 200: WebhookDeliveryListSchema, ...problems },
      },
    },
    async (req, reply) => {
      const account = accountOf(req);
      // Deleted (cancelled) lookups too: their cancellation is an event that was delivered.
      if (!(await findLookup(store, account.id, req.params.id))) return sendProblem(reply, 'not_found', 'no such lookup');
      const { items } = await listDeliveries(store.reader, { accountId: account.id, lookupId: req.params.id, limit: 100 });
      return { items, nextCursor: null };
    },
  );

  api.get(
    '/webhooks/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: "The account's webhook deliveries, newest first",
        tags,
        querystring: z.object({
          status: z.enum(['pending', 'delivered', 'failed']).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
          cursor: z.string().max(200).optional(),
        }),
        response: { 200: WebhookDeliveryListSchema, ...problems },
      },
    },
    async (req, reply) => {
      const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
      if (req.query.cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      const page = await listDeliveries(store.reader, { accountId: accountOf(req).id, status: req.query.status, after, limit: req.query.limit });
      return { items: page.items, nextCursor: page.more && page.last ? encodeCursor(Number(page.last.created_at), page.last.id) : null };
    },
  );

  api.get(
    '/webhooks/deliveries/:id',
    {
      schema: {
        operationId: 'getWebhookDelivery',
        summary: 'One webhook delivery and its attempts',
        tags,
        params: IdParams,
        response: { 200: WebhookDeliverySchema, ...problems },
      },
    },
    async (req, reply) => {
      const { items } = await listDeliveries(store.reader, { accountId: accountOf(req).id, deliveryId: req.params.id, limit: 1 });
      return items[0] ?? sendProblem(reply, 'not_found', 'no such delivery');
    },
  );
}
