import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import type { SourceLimits } from '../source-limits.ts';
import { MirrorRefreshError } from './mirror-error.ts';

export interface DumpRequest {
  url: string;
  /** The validators of the dump the mirror holds; absent: an unconditional download. */
  etag: string | null;
  lastModified: string | null;
  /** Where the body goes. */
  file: string;
  maxBytes: number;
  limits: Pick<SourceLimits, 'connectTimeoutMs' | 'readTimeoutMs'>;
  signal: AbortSignal;
}

export type DumpDownload = { status: 'not_modified' } | { status: 'downloaded'; etag: string | null; lastModified: string | null; bytes: number };

/**
 * Fetches the CKAN dump to a file, streaming: the enti dump is ~15 MB and grows, and the
 * importer reads files, so the body never sits in memory (the shared HTTP client buffers it).
 * A conditional request (If-None-Match, If-Modified-Since) lets IPA answer 304 on the days
 * nothing changed. A body shorter than its Content-Length, or cut by the network, is refused.
 * Redirects are not followed: a moved dump is an error that names the new place.
 */
export async function downloadDump(r: DumpRequest): Promise<DumpDownload> {
  // Its own agent: one download a day does not need the source's pool, and closing it frees the socket.
  const agent = new Agent({
    connect: { timeout: r.limits.connectTimeoutMs },
    headersTimeout: r.limits.readTimeoutMs,
    // Between chunks, not for the whole body: a slow 15 MB download is fine, a stalled one is not.
    bodyTimeout: r.limits.readTimeoutMs,
  });
  try {
    const headers: Record<string, string> = { accept: 'text/csv', 'user-agent': 'cercapec (ipa-mirror)' };
    if (r.etag) headers['if-none-match'] = r.etag;
    if (r.lastModified) headers['if-modified-since'] = r.lastModified;
    const res = await request(r.url, { method: 'GET', headers, signal: r.signal, dispatcher: agent }).catch((error) => {
      throw networkError(error, r.signal);
    });
    if (res.statusCode === 304) {
      await res.body.dump();
      return { status: 'not_modified' };
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      const location = header(res.headers.location);
      throw new MirrorRefreshError('http_status', `HTTP ${res.statusCode} dal server dei dati aperti${location ? ` (spostato a ${location})` : ''}`);
    }
    const declared = header(res.headers['content-length']);
    const expected = declared === null ? null : Number(declared);
    if (expected !== null && expected > r.maxBytes) {
      res.body.destroy();
      throw new MirrorRefreshError('too_large', `file troppo grande (${expected} byte, massimo ${r.maxBytes})`);
    }
    let bytes = 0;
    await pipeline(
      res.body,
      async function* count(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (bytes > r.maxBytes) throw new MirrorRefreshError('too_large', `file troppo grande (oltre ${r.maxBytes} byte)`);
          yield chunk;
        }
      },
      createWriteStream(r.file),
    ).catch((error) => {
      if (error instanceof MirrorRefreshError) throw error;
      throw new MirrorRefreshError(
        r.signal.aborted ? 'aborted' : 'truncated',
        `download interrotto dopo ${bytes} byte${expected !== null ? ` di ${expected}` : ''} (${codeOf(error)})`,
      );
    });
    if (expected !== null && bytes !== expected) {
      throw new MirrorRefreshError('truncated', `download incompleto: ${bytes} byte di ${expected}`);
    }
    return { status: 'downloaded', etag: header(res.headers.etag), lastModified: header(res.headers['last-modified']), bytes };
  } finally {
    await agent.close().catch(() => {});
  }
}

function header(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? null : v;
}

function networkError(error: unknown, signal: AbortSignal): MirrorRefreshError {
  if (signal.aborted) return new MirrorRefreshError('aborted', 'download annullato');
  return new MirrorRefreshError('network', `errore di rete (${codeOf(error)})`);
}

function codeOf(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}
