import http from 'node:http';
import { once } from 'node:events';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Resolves when `count` requests have arrived in all (at once if they already have). */
  waitFor(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * A real webhook receiver on 127.0.0.1. `respond` picks the status of each request (n counts
 * from 1); the default accepts everything. A port may be given to come back on the one a
 * closed receiver had.
 */
export async function startReceiver(
  respond: (r: Received, n: number) => number | { status: number; headers?: Record<string, string> } = () => 200,
  port = 0,
): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: (r: Received[]) => void }[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    received.push(r);
    const answer = respond(r, received.length);
    const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : `no: ${status}`);
    for (const w of waiters.filter((w) => received.length >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(received.slice());
    }
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    waitFor(count) {
      if (received.length >= count) return Promise.resolve(received.slice());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * The check docs/webhooks.md tells receivers to make, written here from the documentation and
 * not imported from src/, so the test holds the implementation to the documented algorithm.
 */
export function documentedSignatureIsValid(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function isSigned(secret: string, r: Received): boolean {
  return documentedSignatureIsValid(secret, String(r.headers['x-cercapec-timestamp']), r.body, String(r.headers['x-cercapec-signature']));
}
