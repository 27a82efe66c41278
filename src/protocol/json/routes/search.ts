import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { searchNames, MAX_SEARCH_OFFSET } from '../../../search/search-names.ts';
import { parseQuery } from '../../../search/search-query.ts';
import { chargeSearch } from '../../../billing/charge-search.ts';
import { problemResponses, sendProblem } from '../problems.ts';
import { accountOf, type JsonApiDeps } from '../context.ts';
import { decodeSearchCursor, encodeSearchCursor, SearchPageSchema, SearchQuerySchema } from '../../../resources/search-schemas.ts';

export async function searchRoutes(app: FastifyInstance, deps: JsonApiDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store, clock } = deps.lookups;

  api.get(
    '/search',
    {
      schema: {
        operationId: 'searchNames',
        summary: 'Search public bodies and the datasets by name',
        description:
          "Ranked results with codice fiscale, codice IPA, place and PECs. Each call (each page) is charged at the account's search price when it has one; a prepaid account without credit gets a 402 problem. Datasets imported for one account are searched by that account only; the others are the installation's, searched by every account.",
        tags: ['search'],
        querystring: SearchQuerySchema,
        response: { 200: SearchPageSchema, ...problemResponses(400, 401, 402, 429) },
      },
    },
    async (req, reply) => {
      const account = accountOf(req);
      const { q, province, category, limit, cursor } = req.query;
      const offset = cursor === undefined ? 0 : decodeSearchCursor(cursor);
      if (offset === null || offset > MAX_SEARCH_OFFSET) return sendProblem(reply, 'invalid_request', 'invalid cursor');
      // Bad input is refused before anything is charged.
      parseQuery(q);
      await chargeSearch(store, account.id, clock.now());
      const page = await searchNames(store, q, { province, category, limit, offset, account: account.id });
      return { items: page.items, nextCursor: page.nextOffset === null ? null : encodeSearchCursor(page.nextOffset) };
    },
  );
}
