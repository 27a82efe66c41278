import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a stand-in answers. */
export interface StandinResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface StandinRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * Faults on demand, for the next `count` requests (default: until cleared):
 * 429 and 500/503 answers, a reset connection, a hang (no answer at all), a malformed body,
 * a slow answer, or a truncated one (the real answer's headers and Content-Length, half its
 * body, then the connection closed: a download cut short).
 */
export type FaultMode = 'none' | '429' | '500' | '503' | 'reset' | 'hang' | 'garbage' | 'slow' | 'truncate';

export interface FaultSetting {
  mode: FaultMode;
  count?: number;
  /** For slow: the delay added, ms. */
  delayMs?: number;
}

export interface StandinHandle {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first (bodies included), for tests to check what clients sent. */
  readonly received: StandinRequest[];
  setFault(fault: FaultSetting): void;
  close(): Promise<void>;
}

export interface StandinOptions {
  name: string;
  port?: number;
  host?: string;
  /** A realistic delay before each answer: [min, max] ms. */
  delayMs?: [number, number];
  handle(request: StandinRequest): Promise<StandinResponse> | StandinResponse;
}

const MAX_BODY = 8 * 1024 * 1024;

/**
 * A registry stand-in on real HTTP: node:http with nothing between the socket and the handler,
 * so resets and hangs are real. `POST /__standin/faults` {"mode":"500","count":3} sets faults
 * from outside the process (`cercapec standins`, other test processes).
 */
export async function startStandin(o: StandinOptions): Promise<StandinHandle> {
  const received: StandinRequest[] = [];
  let fault: { mode: FaultMode; remaining: number; delayMs: number } = { mode: 'none', remaining: 0, delayMs: 0 };
  const hanging = new Set<IncomingMessage>();

  const setFault = (f: FaultSetting) => {
    fault = { mode: f.mode, remaining: f.count ?? Number.POSITIVE_INFINITY, delayMs: f.delayMs ?? 5_000 };
  };

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const url = new URL(req.url ?? '/', 'http://standin');
    const request: StandinRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    if (request.path === '/__standin/faults' && request.method === 'POST') {
      try {
        setFault(JSON.parse(request.body) as FaultSetting);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
      return;
    }
    received.push(request);
    if (received.length > 10_000) received.splice(0, 5_000);

    const active = fault.mode !== 'none' && fault.remaining > 0 ? fault.mode : 'none';
    if (active !== 'none') fault.remaining -= 1;
    switch (active) {
      case '429':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"status":429,"detail":"Too Many Requests"}');
        return;
      case '500':
      case '503':
        res.writeHead(Number(active), { 'content-type': 'text/html' }).end(`<html><body>${active} stand-in fault</body></html>`);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        // Never answers; the socket is destroyed when the server closes.
        hanging.add(req);
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"pec": <<<not json');
        return;
      case 'slow':
        await sleep(fault.delayMs);
        break;
      default:
        break;
    }
    if (o.delayMs) await sleep(o.delayMs[0] + Math.random() * (o.delayMs[1] - o.delayMs[0]));
    try {
      const answer = await o.handle(request);
      if (active === 'truncate') {
        const body = Buffer.from(answer.body ?? '');
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`stand-in error: ${(error as Error).message}`);
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name: o.name,
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    received,
    setFault,
    async close() {
      for (const req of hanging) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): StandinResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
