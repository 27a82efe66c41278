import { setTimeout as delay } from 'node:timers/promises';
import { ApiNetworkError, networkReason, problemFromResponse } from './api-errors.ts';

export interface HttpOptions {
  /** Server URL; see ApiClientOptions.baseUrl. */
  baseUrl: string;
  key: string;
  fetch?: typeof fetch;
  /** Per HTTP request. Default 30 s. */
  timeoutMs?: number;
  /** A 429 is retried once after its Retry-After when that is at most this long. Default 30 s. */
  maxRetryAfterMs?: number;
}

export interface Call {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Added to the timeout: a long poll is allowed its wait. */
  extraTimeoutMs?: number;
  /** false for /openapi.json, which is public. */
  auth?: boolean;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

export type Send = <T>(method: string, path: string, call?: Call) => Promise<Answer<T>>;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;
/** Without Retry-After a 429 is retried after this long. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * One JSON exchange with the server: bearer key, timeout, one bounded retry of a 429, errors as
 * ApiProblemError (an HTTP error) or ApiNetworkError (no usable answer). `path` is relative to
 * the server root (`v1/lookups`).
 */
export function createSend(options: HttpOptions): Send {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const root = serverRoot(options.baseUrl);

  return async function send<T>(method: string, path: string, call: Call = {}): Promise<Answer<T>> {
    const url = new URL(path, root);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    // Messages name the server and path, never the query (codes are personal data) or the key.
    const where = `${method} ${url.origin}${url.pathname}`;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...call.headers };
    if (call.auth !== false) headers.authorization = `Bearer ${options.key}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const limit = timeoutMs + (call.extraTimeoutMs ?? 0);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      let text: string;
      try {
        const timeout = AbortSignal.timeout(limit);
        const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
        response = await doFetch(url, { method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body), signal });
        text = await response.text();
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (error instanceof Error && error.name === 'TimeoutError') {
          throw new ApiNetworkError('timeout', `${where}: no answer within ${Math.round(limit / 1000)} s`, { cause: error });
        }
        throw new ApiNetworkError('unreachable', `${where}: cannot reach the server (${networkReason(error)})`, { cause: error });
      }
      const retryAfter = retryAfterMs(response.headers.get('retry-after'), Date.now());
      // The JSON API refuses a 429 before doing anything, so even a POST is safe to repeat.
      if (response.status === 429 && attempt === 1 && (retryAfter ?? DEFAULT_RETRY_AFTER_MS) <= maxRetryAfterMs) {
        await pause(retryAfter ?? DEFAULT_RETRY_AFTER_MS, call.signal);
        continue;
      }
      if (!response.ok) {
        throw problemFromResponse(response.status, response.statusText, response.headers.get('content-type') ?? '', text, retryAfter);
      }
      try {
        return { status: response.status, headers: response.headers, body: JSON.parse(text) as T };
      } catch (error) {
        throw new ApiNetworkError('bad_response', `${where}: HTTP ${response.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`, {
          cause: error,
        });
      }
    }
  };
}

/** The server root with a trailing slash; a trailing /index_ws.php or /v1 is dropped. */
export function serverRoot(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`not a valid server URL: ${JSON.stringify(baseUrl)} (expected e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`the server URL must be http or https: ${JSON.stringify(baseUrl)}`);
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/(index_ws\.php|v1\/?)$/, '/').replace(/\/?$/, '/');
  return url;
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal?.aborted ? signal.reason : error;
  });
}
