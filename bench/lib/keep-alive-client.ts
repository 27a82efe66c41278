import { Agent, request } from 'node:http';

export interface KeepAliveClient {
  /** One request; resolves with the status and the body as text. */
  call(method: 'GET' | 'POST', path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }>;
  close(): void;
}

/**
 * A node:http client on kept-alive sockets, for latency benches whose clients run in the bench's
 * own process, on the same two cores as the server. Why not fetch: undici's fetch spent about
 * three times the client CPU here (two raw round trips by 16 clients, 10,000 times: p50 8.7-9.8 ms
 * and p99 67-108 ms with fetch, 3.4-3.9 ms and 24-29 ms with node:http, same minutes, load 2-6),
 * and a client that slow measures itself, not the server. Every latency bench's baseline and
 * server run use the same client, so their ratio stays fair.
 */
export function keepAliveClient(baseUrl: string, maxSockets: number): KeepAliveClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    call(method, path, options = {}) {
      const headers: Record<string, string | number> = { ...options.headers };
      if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
      return new Promise((resolve, reject) => {
        const req = request({ host: hostname, port: Number(port), method, path, agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(options.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
