import { Agent, request as undiciRequest } from 'undici';
import { RegistryError } from './registry.ts';
import type { SourceLimits } from './source-limits.ts';
import { createThrottle } from './throttle.ts';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Largest body accepted; more is a transient "response too large". Default 32 MiB. */
  maxBytes?: number;
}

/** One source's HTTP: its own connection pool, timeouts and throttle. Redirects are never followed (INAD's 303 is an answer). */
export interface HttpClient {
  readonly source: string;
  request(r: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** What happened on the wire, for the source's metrics. */
export type WireOutcome = 'ok' | 'http_error' | 'network_error' | 'timeout';

export function createHttpClient(source: string, limits: SourceLimits, onCall?: (outcome: WireOutcome, seconds: number) => void): HttpClient {
  const agent = new Agent({
    connect: { timeout: limits.connectTimeoutMs },
    headersTimeout: limits.readTimeoutMs,
    bodyTimeout: limits.readTimeoutMs,
    connections: limits.concurrency,
    keepAliveTimeout: 10_000,
  });
  const throttle = createThrottle(limits.concurrency, limits.ratePerSecond);

  return {
    source,
    async request(r) {
      await throttle.acquire(r.signal);
      const started = performance.now();
      let outcome: WireOutcome = 'ok';
      try {
        const res = await undiciRequest(r.url, {
          method: r.method ?? 'GET',
          headers: r.headers,
          body: r.body,
          signal: r.signal,
          dispatcher: agent,
        });
        const text = await readText(source, res.body, r.maxBytes ?? 32 * 1024 * 1024);
        if (res.statusCode >= 400) outcome = 'http_error';
        return { status: res.statusCode, headers: res.headers, text };
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        if (r.signal?.aborted) throw error;
        const code = (error as { code?: string }).code ?? 'ERR';
        outcome = /TIMEOUT/i.test(code) ? 'timeout' : 'network_error';
        throw new RegistryError(source, true, `${outcome === 'timeout' ? 'tempo scaduto' : 'errore di rete'} (${code})`, code);
      } finally {
        throttle.release();
        onCall?.(outcome, (performance.now() - started) / 1000);
      }
    },
    close: () => agent.close(),
  };
}

async function readText(source: string, body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new RegistryError(source, true, 'risposta troppo grande', 'too_large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body as JSON; a malformed body is a transient fault of the source (it happens under load). */
export function parseJson<T = unknown>(source: string, res: HttpResponse): T {
  try {
    return JSON.parse(res.text) as T;
  } catch {
    throw new RegistryError(source, true, `risposta non valida (HTTP ${res.status})`, 'malformed');
  }
}

/** 408, 425, 429 and 5xx may pass; other 4xx are our mistake or the source's refusal and retrying cannot help. */
export function statusError(source: string, res: HttpResponse, what = ''): RegistryError {
  const transient = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
  const detail = res.text.replace(/\s+/g, ' ').slice(0, 200);
  return new RegistryError(source, transient, `HTTP ${res.status}${what ? ` ${what}` : ''}${detail ? `: ${detail}` : ''}`, String(res.status));
}
