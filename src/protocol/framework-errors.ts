import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './json/problems.ts';

/**
 * URLs the router refuses before any route or error handler runs: a path parameter over the
 * router's length limit (Fastify answers 414 as plain JSON), or one with broken %-encoding
 * (400). Under /v1 that is an invalid request like any other, so it is answered as an RFC 9457
 * problem; elsewhere as the plain 400 it was.
 */
export function frameworkErrors(error: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply) {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  // These answers skip the hooks, the security headers' included.
  reply.header('x-content-type-options', 'nosniff');
  if (req.url.startsWith('/v1/'))
    return sendProblem(reply, 'invalid_request', tooLong ? 'a path parameter is too long' : 'the URL is not valid (bad %-encoding)');
  return reply
    .code(tooLong ? 414 : 400)
    .type('text/plain; charset=utf-8')
    .send(tooLong ? 'URI Too Long' : 'Bad Request');
}
