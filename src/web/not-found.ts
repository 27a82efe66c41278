import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorLine, Messages } from '../protocol/text/messages.ts';
import { sendProblem } from '../protocol/json/problems.ts';

const TEXT_PROTOCOL = '/index_ws.php';

/**
 * The answer for a URL or method no route serves, in the style of the part of the site it was
 * aimed at, and never echoing the URL: Fastify's default JSON repeated path and query string,
 * and a mistyped `GET /x?key=…` put the key in the answer (issue 15).
 * - `/index_ws.php` with a method the protocol lacks (TRACE, SEARCH, PROPFIND…): 405 and the
 *   protocol's line, like PUT and DELETE; a path below it: the protocol's 404 line;
 * - `/v1…`: the JSON API's not_found problem (its own handler answers first once a key is given);
 * - anything else: a small Italian page with the site's look and a link home.
 * The page is read once, when the app is built.
 */
export function notFoundHandler(): (req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const page = readFileSync(new URL('./pages/non-trovata.html', import.meta.url), 'utf8');
  return (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (path === TEXT_PROTOCOL || path.startsWith(`${TEXT_PROTOCOL}/`)) {
      const method = req.method === 'GET' || req.method === 'HEAD' ? 'GET' : 'POST';
      const wrongMethod = path === TEXT_PROTOCOL;
      if (wrongMethod) reply.header('allow', 'GET, HEAD, POST');
      return reply
        .code(wrongMethod ? 405 : 404)
        .type('text/plain; charset=utf-8')
        .send(errorLine(method, wrongMethod ? Messages.methodNotAllowed : Messages.unknownPath));
    }
    if (path === '/v1' || path.startsWith('/v1/')) return sendProblem(reply, 'not_found', 'no such endpoint');
    return reply.code(404).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
  };
}
