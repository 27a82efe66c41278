import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { balanceOf } from '../../../billing/balance.ts';
import { ledgerPage } from '../../../billing/ledger-page.ts';
import { chargesBetween } from '../../../billing/charges-between.ts';
import { countLookupsByStatus } from '../../../lookups/count-lookups.ts';
import { formatEuro } from '../../../resources/money.ts';
import { AccountSchema, LedgerPageSchema, UsageSchema } from '../../../resources/schemas.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { problemResponses, sendProblem } from '../problems.ts';

const problems = problemResponses(400, 401, 429);

export async function accountRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps.lookups;

  api.get(
    '/account',
    {
      schema: { operationId: 'getAccount', summary: 'The account of the key', tags: ['account'], response: { 200: AccountSchema, ...problems } },
    },
    async (req) => {
      const a = accountOf(req);
      const balanceCents = await balanceOf(store.reader, a.id);
      return {
        id: a.id,
        name: a.name,
        billingMode: a.billing_mode,
        priceCents: a.price_cents,
        creditLimitCents: a.credit_limit_cents,
        balanceCents,
        balance: formatEuro(balanceCents),
      };
    },
  );

  api.get(
    '/account/ledger',
    {
      schema: {
        operationId: 'listLedger',
        summary: 'The ledger, oldest first',
        tags: ['account'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(200).optional() }),
        response: { 200: LedgerPageSchema, ...problems },
      },
    },
    async (req, reply) => {
      const a = accountOf(req);
      const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
      if (req.query.cursor && !after) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      const rows = await ledgerPage(store.reader, a.id, after, req.query.limit + 1);
      const page = rows.slice(0, req.query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => ({
          id: r.id,
          kind: r.kind,
          amountCents: Number(r.amount_cents),
          lookupId: r.request_id,
          reason: r.reason,
          createdAt: new Date(Number(r.created_at)).toISOString(),
        })),
        nextCursor: rows.length > req.query.limit && last ? encodeCursor(Number(last.created_at), last.id) : null,
      };
    },
  );

  api.get(
    '/account/usage',
    {
      schema: {
        operationId: 'getUsage',
        summary: 'Usage of one month (UTC)',
        tags: ['account'],
        querystring: z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM') }),
        response: { 200: UsageSchema, ...problems },
      },
    },
    async (req) => {
      const a = accountOf(req);
      const [year, month] = req.query.month.split('-').map(Number);
      const from = Date.UTC(year, month - 1, 1);
      const to = Date.UTC(year, month, 1);
      const byStatus = await countLookupsByStatus(store.reader, a.id, from, to);
      const total = await chargesBetween(store.reader, a.id, from, to);
      return {
        month: req.query.month,
        lookups: Object.values(byStatus).reduce((x, y) => x + y, 0),
        byStatus,
        chargedCents: -total,
      };
    },
  );
}
