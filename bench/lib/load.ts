// Load generator, run as its own process so it does not share a core's event loop with the
// server: autocannon with a per-request body for submissions (every code distinct).
import autocannon from 'autocannon';
import { codeAt } from './codes.ts';

interface LoadConfig {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  durationS: number;
  key?: string;
  submit?: boolean;
  offset?: number;
}

const config = JSON.parse(process.argv[2]) as LoadConfig;
let n = 0;
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.durationS,
  requests: [
    config.submit
      ? {
          method: 'POST',
          path: config.path,
          setupRequest: (req: any) => ({
            ...req,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `key=${encodeURIComponent(config.key!)}&cf=${codeAt(n++, config.offset ?? 0)}`,
          }),
        }
      : { method: config.method, path: config.path },
  ],
});
console.log(
  JSON.stringify({ rps: result.requests.average, p99ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors, total: result.requests.total }),
);
