import type { FastifyRequest } from 'fastify';

/**
 * The path to write in the request log. Never the query string (the text protocol's GET carries
 * the key), and never ids: a lookup's id is its token, the only handle on a request besides the
 * key. So a matched route is logged by its pattern (`/v1/lookups/:id`); an unmatched path with
 * every long or unusual segment replaced, since it may be a mistyped route with a token in it.
 */
export function loggedPath(req: FastifyRequest): string {
  const pattern = req.routeOptions?.url;
  if (pattern) return pattern;
  return (req.url.split('?')[0] ?? '')
    .split('/')
    .map((segment) => (segment.length <= 12 && /^[a-z0-9._-]*$/i.test(segment) ? segment : ':redacted'))
    .join('/')
    .slice(0, 200);
}
