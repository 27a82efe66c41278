import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { callbackUrlProblem } from './callback-url.ts';
import { refusedAddressReason } from './target-address.ts';

export interface Resolved {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (dns.lookup, as the system does). */
export type Resolver = (host: string) => Promise<Resolved[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Allow loopback and private targets (development; config allowPrivateCallbacks). */
  allowPrivate: boolean;
  resolve?: Resolver;
  /** Aborts the attempt (the worker is stopping). */
  signal?: AbortSignal;
}

export interface PostResult {
  /** The receiver's status; null when there was no response. */
  statusCode: number | null;
  /**
   * null when delivered (2xx). What the customer reads in the delivery log: the receiver's
   * status and a snippet of its answer, or TARGET_UNREACHABLE when there was no answer.
   */
  error: string | null;
  /** For the operator's log only: the low-level cause (refused address, ECONNREFUSED, timeout, DNS). */
  detail: string | null;
  /** True when trying again cannot help: the target is not allowed. */
  refused: boolean;
  durationMs: number;
}

/**
 * The one reason recorded when no HTTP answer came: a refused address, a refused or reset
 * connection, a timeout, a DNS or TLS failure all read the same, so the delivery log cannot be
 * used to scan which hosts and ports exist behind or beside the service (issue 15).
 */
export const TARGET_UNREACHABLE = 'the target could not be reached or is not allowed';

/** Bytes of a failed response kept for the delivery log. */
const SNIPPET_BYTES = 200;

/**
 * One delivery attempt: POSTs the body and reports what happened, never throwing. The host is
 * resolved first and every address checked (SSRF); the connection then goes to the checked
 * address (a pinned lookup), so a DNS answer that changes between check and connect (DNS
 * rebinding) cannot redirect it. Redirects are not followed; the timeout covers connecting,
 * sending and the response.
 */
export async function postWebhook(o: PostOptions): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refuse = (why: string): PostResult => ({
    statusCode: null,
    error: TARGET_UNREACHABLE,
    detail: `refused: ${why}`,
    refused: true,
    durationMs: elapsed(),
  });
  const unreachable = (detail: string): PostResult => ({ statusCode: null, error: TARGET_UNREACHABLE, detail, refused: false, durationMs: elapsed() });
  const why = callbackUrlProblem(o.url, o.allowPrivate);
  if (why) return refuse(why);
  const url = new URL(o.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Resolved[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await (o.resolve ?? systemResolver)(host);
  } catch (error) {
    return unreachable(`cannot resolve ${host}: ${describe(error)}`);
  }
  if (addresses.length === 0) return unreachable(`cannot resolve ${host}: no address`);
  // Every address, not just the one used: a name that also points inside is refused as a whole.
  if (!o.allowPrivate) {
    for (const a of addresses) {
      const why = refusedAddressReason(a.address);
      if (why) return refuse(`${host} resolves to an address that is not allowed: ${why}`);
    }
  }
  const pinned = addresses[0];
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(statusCode === null ? unreachable(error ?? 'no answer') : { statusCode, error, detail: error, refused: false, durationMs: elapsed() });
    };
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all) (callback as (e: null, a: Resolved[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send({
      protocol: url.protocol,
      hostname: host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
      lookup,
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${o.timeoutMs} ms`)), o.timeoutMs);
    const onAbort = () => req.destroy(new Error('aborted: the worker is stopping'));
    o.signal?.addEventListener('abort', onAbort);
    req.on('error', (error) => finish(null, describe(error)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < SNIPPET_BYTES) chunks.push(chunk);
        kept += chunk.length;
      });
      const done = () => finish(status, failureOf(status, Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8')));
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.end(o.body);
  });
}

function failureOf(status: number, snippet: string): string | null {
  if (status >= 200 && status < 300) return null;
  const text = snippet.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed`;
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const message = e?.message ?? String(error);
  return (e?.code && !message.includes(e.code) ? `${e.code} ${message}` : message).slice(0, 300);
}
