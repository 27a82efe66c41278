import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../../security/response-headers.ts';
import { failureAnswer, type TextAnswer, type TextRequest } from './answer-request.ts';
import type { Method } from './messages.ts';

const PATH = '/index_ws.php';
const QUESTION_MARK = 63;
const FORM = 'application/x-www-form-urlencoded';
/** The largest form read here: the protocol's fields are cut at 512 characters, a real form is a few hundred bytes. */
const MAX_FORM_BYTES = 8 * 1024;

export interface TextFastPathDeps {
  /** The protocol's answers, the same function the Fastify routes call. */
  answer(request: TextRequest): Promise<TextAnswer>;
  /** A poll answered at once, or null (nothing counted): TextAnswerer.pollNow. Absent: every poll goes through `answer`. */
  pollNow?(query: unknown, ip: string): TextAnswer | null;
  /** The query-string and form parser the Fastify routes are given. */
  parse(text: string): Record<string, unknown>;
  /** The client address as Fastify reads it (trustProxy). */
  clientIp(req: IncomingMessage): string;
  /** The next request id of the access log, from the counter Fastify numbers its requests with. */
  requestId(): string;
  /** Fastify's logger (app.log), so the lines are those its routes write. */
  log: Pick<FastifyBaseLogger, 'info' | 'error'>;
  /** Whether the access log writes its info lines (false at the usual production level, warn). */
  logsRequests(): boolean;
  bodyLimitBytes: number;
}

export interface TextFastPath {
  /** Answers the request when it has one of the common shapes and returns true; otherwise touches nothing and returns false. */
  take(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes nothing more: while the app closes, Fastify answers 503. */
  close(): void;
}

/**
 * The text protocol's common requests, answered before they reach Fastify: GET /index_ws.php
 * with a query string (poll), and POST of a small urlencoded form (submit, cancel, balance).
 * Everything else (multipart, text/plain, chunked bodies, HEAD, other paths or methods) goes
 * to the Fastify routes unchanged. The answer is the routes' own (createTextAnswerer), written
 * with the headers Fastify sends, the same access log line and the same failure line;
 * test/protocol/text-fast-path.test.ts compares both paths answer by answer.
 *
 * Why: a poll spent 50-83 µs of server CPU against 12.5 µs for raw node:http (2026-12-03), a
 * third of it the socket write and most of the rest Fastify's routing, hooks and reply.
 */
export function createTextFastPath(deps: TextFastPathDeps): TextFastPath {
  const maxFormBytes = Math.min(deps.bodyLimitBytes, MAX_FORM_BYTES);
  let closed = false;

  /** Sends the answer; the access line follows when it has been written, as Fastify's onResponse hook logs it. */
  function finish(req: IncomingMessage, res: ServerResponse, reqId: string, started: number, answer: TextAnswer): void {
    // At a level without info lines, no listener and no closure per request.
    if (deps.logsRequests()) {
      res.once('finish', () => {
        deps.log.info({ reqId, method: req.method, path: PATH, status: answer.status, ms: Math.round(performance.now() - started) }, 'request');
      });
    }
    send(res, answer);
  }

  /** A poll answered synchronously (pollNow), or false: respond() answers it, and nothing was counted. */
  function pollNow(req: IncomingMessage, res: ServerResponse, reqId: string, started: number): boolean {
    let answer: TextAnswer | null;
    try {
      answer = deps.pollNow!(queryOf(req), deps.clientIp(req));
    } catch {
      // respond() does it all again and answers the failure as it answers any other.
      return false;
    }
    if (answer === null) return false;
    finish(req, res, reqId, started, answer);
    return true;
  }

  async function respond(req: IncomingMessage, res: ServerResponse, reqId: string, started: number, method: Method, body: unknown): Promise<void> {
    let answer: TextAnswer;
    try {
      const query = queryOf(req);
      answer = await deps.answer({ method, query, body, ip: deps.clientIp(req) });
    } catch (error) {
      const failure = failureAnswer(error as Error, method, true);
      if (failure.log) deps.log.error({ reqId, err: error }, 'text protocol failure');
      answer = failure;
    }
    finish(req, res, reqId, started, answer);
  }

  function queryOf(req: IncomingMessage): Record<string, unknown> {
    const url = req.url!;
    return deps.parse(url.length > PATH.length ? url.slice(PATH.length + 1) : '');
  }

  /** Reads the form as Fastify's body reader does: a broken stream or a short body is the client's (400). */
  function readForm(req: IncomingMessage, res: ServerResponse, reqId: string, started: number, length: number): void {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (error?: Error) => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onEnd);
      let body: unknown;
      try {
        if (error || received !== length) throw error ?? new Error('the body is shorter than its content-length');
        body = deps.parse(Buffer.concat(chunks, received).toString());
      } catch (failed) {
        return finish(req, res, reqId, started, failureAnswer(failed as Error, 'POST', false));
      }
      void respond(req, res, reqId, started, 'POST', body);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onEnd);
  }

  return {
    take(req, res) {
      const url = req.url;
      if (closed || url === undefined || !url.startsWith(PATH) || (url.length > PATH.length && url.charCodeAt(PATH.length) !== QUESTION_MARK)) return false;
      const headers = req.headers;
      if (headers['transfer-encoding'] !== undefined) return false;
      if (req.method === 'GET') {
        if (headers['content-length'] !== undefined) return false;
        const reqId = deps.requestId();
        const started = performance.now();
        if (deps.pollNow === undefined || !pollNow(req, res, reqId, started)) void respond(req, res, reqId, started, 'GET', undefined);
        return true;
      }
      if (req.method === 'POST') {
        const length = Number(headers['content-length']);
        if (headers['content-type'] !== FORM || !(length <= maxFormBytes)) return false;
        readForm(req, res, deps.requestId(), performance.now(), length);
        return true;
      }
      return false;
    },
    close() {
      closed = true;
    },
  };
}

/** The headers before content-length, in the order the Fastify routes and the security-headers hook send them; flat name, value pairs. */
const HEADERS_200 = headerPairs(false);
const HEADERS_429 = headerPairs(true);

function headerPairs(retryAfter: boolean): readonly string[] {
  const pairs: string[] = retryAfter ? ['retry-after', '10'] : [];
  pairs.push('content-type', 'text/plain; charset=utf-8');
  for (const [name, value] of SECURITY_HEADERS) pairs.push(name, value);
  pairs.push('content-security-policy', CONTENT_SECURITY_POLICY);
  return pairs;
}

/**
 * The answer with the headers, and in the order, the Fastify routes and the security-headers hook
 * send them. The fixed ones are built once: writeHead takes a flat array of name, value pairs
 * without validating and lower-casing an object's names on every answer.
 */
function send(res: ServerResponse, { status, line }: TextAnswer): void {
  const headers = [...(status === 429 ? HEADERS_429 : HEADERS_200), 'content-length', String(Buffer.byteLength(line))];
  res.writeHead(status, headers);
  res.end(line);
}
