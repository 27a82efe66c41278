import { parse as parseQuery } from 'node:querystring';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { Account } from '../../accounts/api-keys.ts';
import { isCercapecError } from '../../errors.ts';
import { formatEuro } from '../../resources/money.ts';
import { balanceOf } from '../../billing/balance.ts';
import type { LookupDeps } from '../../lookups/lookup-deps.ts';
import { submitLookup } from '../../lookups/submit-lookup.ts';
import { cancelLookupByCode } from '../../lookups/cancel-lookup.ts';
import { findLookup } from '../../lookups/find-lookup.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { noAuthFailureThrottle, type AuthFailureThrottle } from '../../security/auth-failure-throttle.ts';
import { errorLine, Messages, messageForCode, type Method } from './messages.ts';
import { readField } from './fields.ts';
import { pollAnswer } from './answers.ts';

export interface TextProtocolDeps {
  lookups: LookupDeps;
  authenticate(key: string): Promise<Account | null>;
  accountLimiter: RateLimiter;
  ipLimiter: RateLimiter;
  /** Unknown keys and tokens per address (absent: not throttled). */
  authFailures?: AuthFailureThrottle;
  bodyLimitBytes: number;
}

/** A protocol answer that ends the request early, with its HTTP status. */
class Answer extends Error {
  constructor(
    readonly line: string,
    readonly status = 200,
  ) {
    super(line);
  }
}

const OPERATIONS = ['cf', 'cf-delete', 'saldo'] as const;

/**
 * `/index_ws.php`, the trovapec web-service protocol: one line of text/plain for every input.
 * Protocol errors answer 200 like the original (clients read the line, not the status); only
 * transport problems get their own status: 405, 413, 415, 429 and 503.
 */
export async function textProtocolRoutes(app: FastifyInstance, deps: TextProtocolDeps): Promise<void> {
  const authFailures = deps.authFailures ?? noAuthFailureThrottle;
  await app.register(formbody, { bodyLimit: deps.bodyLimitBytes });
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

  // Requests whose handler started: an error raised before that comes from reading the body
  // (busboy throws plain Errors, without a status, on malformed multipart) and is the client's.
  const reachedHandler = new WeakSet<FastifyRequest>();

  // @fastify/multipart reads the body in a preValidation hook, outside Fastify's bodyLimit:
  // refuse a declared length over the limit up front, as for every other content type.
  app.addHook('onRequest', async (req, reply) => {
    const length = Number(req.headers['content-length']);
    if (length > deps.bodyLimitBytes) return send(reply, errorLine(methodOf(req), Messages.bodyTooLarge), 413);
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const method = methodOf(req);
    const status = error.statusCode ?? (reachedHandler.has(req) ? 500 : 400);
    if (status === 413 || error.code === 'FST_FILES_LIMIT' || error.code === 'FST_PARTS_LIMIT' || error.code === 'FST_FIELDS_LIMIT') {
      const message = error.code === 'FST_FILES_LIMIT' ? Messages.filesNotAllowed : Messages.bodyTooLarge;
      return send(reply, errorLine(method, message), 413);
    }
    if (status >= 400 && status < 500) return send(reply, errorLine(method, Messages.badBody), status === 415 ? 415 : 400);
    req.log.error({ err: error }, 'text protocol failure');
    return send(reply, errorLine(method, Messages.internal), 503);
  });

  const handle = (method: Method) => async (req: FastifyRequest, reply: FastifyReply) => {
    reachedHandler.add(req);
    try {
      const line = method === 'GET' ? await handleGet(req) : await handlePost(req);
      return send(reply, line, 200);
    } catch (error) {
      if (error instanceof Answer) return send(reply, error.line, error.status);
      if (isCercapecError(error)) return send(reply, errorLine(method, messageForCode(error.code, error.message)), 200);
      throw error;
    }
  };

  async function authenticate(req: FastifyRequest, method: Method, fields: Record<string, unknown>): Promise<Account> {
    if (!deps.ipLimiter.take(req.ip) || authFailures.blocked(req.ip)) throw new Answer(errorLine(method, Messages.tooMany), 429);
    const key = required(method, fields, 'key', Messages.keyMissing);
    const account = await deps.authenticate(key);
    if (!account) {
      authFailures.failed(req.ip, 'key');
      throw new Answer(errorLine(method, Messages.keyInvalid));
    }
    if (!deps.accountLimiter.take(account.id)) throw new Answer(errorLine(method, Messages.tooMany), 429);
    return account;
  }

  async function handlePost(req: FastifyRequest): Promise<string> {
    const fields = { ...asObject(req.query), ...asObject(req.body) };
    const account = await authenticate(req, 'POST', fields);
    const present = OPERATIONS.filter((op) => Object.hasOwn(fields, op));
    if (present.length > 1) return errorLine('POST', Messages.operationAmbiguous);
    switch (present[0]) {
      case 'cf': {
        const code = required('POST', fields, 'cf', Messages.codeMissing);
        const { id } = await submitLookup(deps.lookups, { account, code, via: 'text' });
        return `OK|${id}`;
      }
      case 'cf-delete': {
        const code = required('POST', fields, 'cf-delete', Messages.codeDeleteMissing);
        await cancelLookupByCode(deps.lookups, account, code);
        return `OK|${Messages.cancelledOk}`;
      }
      case 'saldo':
        return formatEuro(await balanceOf(deps.lookups.store.reader, account.id));
      default:
        return errorLine('POST', Object.hasOwn(fields, 'token') ? Messages.pollNeedsGet : Messages.operationMissing);
    }
  }

  async function handleGet(req: FastifyRequest): Promise<string> {
    const fields = asObject(req.query);
    const account = await authenticate(req, 'GET', fields);
    if (!Object.hasOwn(fields, 'token')) {
      const op = OPERATIONS.find((o) => Object.hasOwn(fields, o));
      return errorLine('GET', op ? Messages.postOnly(op) : Messages.tokenMissing);
    }
    const token = required('GET', fields, 'token', Messages.tokenMissing);
    const request = await findLookup(deps.lookups.store, account.id, token);
    if (!request) {
      authFailures.failed(req.ip, 'token');
      return errorLine('GET', Messages.tokenUnknown);
    }
    return pollAnswer(request);
  }

  app.get('/index_ws.php', handle('GET'));
  app.post('/index_ws.php', { bodyLimit: deps.bodyLimitBytes }, handle('POST'));
  app.route({
    method: ['PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/index_ws.php',
    handler: async (_req, reply) => send(reply.header('allow', 'GET, HEAD, POST'), errorLine('POST', Messages.methodNotAllowed), 405),
  });
}

function required(method: Method, fields: Record<string, unknown>, name: string, missing: string): string {
  const field = readField(fields, name);
  if (!field.present) throw new Answer(errorLine(method, missing));
  if ('error' in field) {
    throw new Answer(errorLine(method, field.error === 'repeated' ? Messages.fieldRepeated(name) : Messages.fieldTooLong(name)));
  }
  if (field.value === '') throw new Answer(errorLine(method, missing));
  return field.value;
}

function methodOf(req: FastifyRequest): Method {
  return req.method === 'GET' || req.method === 'HEAD' ? 'GET' : 'POST';
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function send(reply: FastifyReply, line: string, status: number) {
  if (status === 429) reply.header('retry-after', '10');
  return reply.code(status).type('text/plain; charset=utf-8').send(line);
}
