import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';

/** The settings of the HTTP server's own limits (config keys, docs/limits.md). */
export interface ServerLimitSettings {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionTimeoutMs: number;
  maxHeaderBytes: number;
  /** The longest JSON long poll, in seconds: an idle socket must outlive it. */
  maxWaitSeconds: number;
}

/**
 * Why a combination of limits cannot work, one message per problem (empty when it can).
 * Node refuses a headers timeout over the request timeout; a connection timeout shorter than
 * the longest long poll would cut `?wait=` answers off while they wait, silently.
 */
export function serverLimitProblems(s: ServerLimitSettings): string[] {
  const problems: string[] = [];
  if (s.headersTimeoutMs > s.requestTimeoutMs) {
    problems.push(`headersTimeoutMs (${s.headersTimeoutMs}) must not exceed requestTimeoutMs (${s.requestTimeoutMs})`);
  }
  if (s.connectionTimeoutMs > 0 && s.connectionTimeoutMs <= s.maxWaitSeconds * 1000) {
    problems.push(`connectionTimeoutMs (${s.connectionTimeoutMs}) must be 0 or longer than maxWaitSeconds (${s.maxWaitSeconds} s), the longest long poll`);
  }
  return problems;
}

/**
 * Fastify's options for the server it creates. Node looks for requests whose headers or body are
 * overdue only every `connectionsCheckingInterval` (30 s by default): a quarter of the headers
 * timeout, so a slowloris client is cut off within 1.25 x headersTimeoutMs, not 30 s later.
 */
export function serverOptions(s: ServerLimitSettings): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  return {
    requestTimeout: s.requestTimeoutMs,
    connectionTimeout: s.connectionTimeoutMs,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    http: {
      requestTimeout: s.requestTimeoutMs,
      headersTimeout: s.headersTimeoutMs,
      keepAliveTimeout: s.keepAliveTimeoutMs,
      maxHeaderSize: s.maxHeaderBytes,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(s.headersTimeoutMs / 4))),
    },
  };
}

/**
 * A serverFactory for Fastify: the node:http server Fastify itself creates from these options
 * (fastify/lib/server.js, HTTP/1), with `front` seeing every request first. A request `front`
 * answers (it returns true) never reaches Fastify; any other goes to Fastify untouched.
 */
export function frontedServerFactory(options: ReturnType<typeof serverOptions>, front: (req: IncomingMessage, res: ServerResponse) => boolean) {
  return (fastify: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const server = createServer(options.http, (req, res) => {
      if (!front(req, res)) fastify(req, res);
    });
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    return server;
  };
}
