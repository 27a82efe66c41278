import { parse as parseQuery } from 'node:querystring';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { parseQueryString } from '../query-string.ts';
import { createTextAnswerer, failureAnswer, type TextAnswerDeps } from './answer-request.ts';
import { errorLine, Messages, type Method } from './messages.ts';

export interface TextProtocolDeps extends TextAnswerDeps {
  bodyLimitBytes: number;
}

/**
 * `/index_ws.php`, the trovapec web-service protocol: one line of text/plain for every input.
 * Protocol errors answer 200 like the original (clients read the line, not the status); only
 * transport problems get their own status: 405, 413, 415, 429 and 503. The answers come from
 * answer-request.ts, shared with the fast path (fast-path.ts) that takes the common requests
 * before they reach these routes.
 */
export async function textProtocolRoutes(app: FastifyInstance, deps: TextProtocolDeps): Promise<void> {
  const answer = createTextAnswerer(deps);
  await app.register(formbody, { bodyLimit: deps.bodyLimitBytes, parser: parseQueryString });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fieldSize: 4096, fields: 20, files: 0, fileSize: 0, parts: 20, headerPairs: 50 },
  });
  // Some clients post without a content type, or with text/plain: read the body as a form anyway.
  // text/plain needs its own parser: Fastify's built-in one wins over '*' and yields a bare string.
  const asForm = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    done(null, parseQuery(String(body)));
  };
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: deps.bodyLimitBytes }, asForm);
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: deps.bodyLimitBytes }, asForm);

  // Requests whose handler started: an error raised before that comes from reading the body.
  const reachedHandler = new WeakSet<FastifyRequest>();

  // @fastify/multipart reads the body in a preValidation hook, outside Fastify's bodyLimit:
  // refuse a declared length over the limit up front, as for every other content type.
  app.addHook('onRequest', async (req, reply) => {
    const length = Number(req.headers['content-length']);
    if (length > deps.bodyLimitBytes) return send(reply, errorLine(methodOf(req), Messages.bodyTooLarge), 413);
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const failure = failureAnswer(error, methodOf(req), reachedHandler.has(req));
    if (failure.log) req.log.error({ err: error }, 'text protocol failure');
    return send(reply, failure.line, failure.status);
  });

  const handle = (method: Method) => async (req: FastifyRequest, reply: FastifyReply) => {
    reachedHandler.add(req);
    const { status, line } = await answer({ method, query: req.query, body: method === 'POST' ? req.body : undefined, ip: req.ip });
    return send(reply, line, status);
  };

  app.get('/index_ws.php', handle('GET'));
  app.post('/index_ws.php', { bodyLimit: deps.bodyLimitBytes }, handle('POST'));
  app.route({
    method: ['PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/index_ws.php',
    handler: async (_req, reply) => send(reply.header('allow', 'GET, HEAD, POST'), errorLine('POST', Messages.methodNotAllowed), 405),
  });
}

function methodOf(req: FastifyRequest): Method {
  return req.method === 'GET' || req.method === 'HEAD' ? 'GET' : 'POST';
}

function send(reply: FastifyReply, line: string, status: number) {
  if (status === 429) reply.header('retry-after', '10');
  return reply.code(status).type('text/plain; charset=utf-8').send(line);
}
