import { createHash } from 'node:crypto';
import type { StandinDataset } from '../dataset.ts';
import { startStandin, type StandinHandle, type StandinRequest, type StandinResponse } from '../standin-server.ts';
import { ENTI_RESOURCE_ID, entiDumpCsv } from './enti-dump.ts';

export const DUMP_PATH = `/ipa-dati/datastore/dump/${ENTI_RESOURCE_ID}`;

/** The first dump's Last-Modified; each new version of the dump is one day later. */
const FIRST_VERSION_AT = Date.UTC(2026, 10, 27, 2, 0, 0);

export interface IpaCkanHandle extends StandinHandle {
  /** The dump URL as the mirror's dumpUrl option names it. */
  readonly dumpUrl: string;
  /** A new version of the dump with these enti (new ETag, Last-Modified one day later). */
  setEnti(enti: StandinDataset['enti']): void;
  /** Serves this body as a new version of the dump instead of a CSV of enti (malformed dumps); null: back to the enti. */
  setRawDump(body: string | null): void;
}

/**
 * IPA's open-data portal (CKAN) as the mirror uses it: the datastore dump of the enti resource,
 * with ETag and Last-Modified and a 304 for a conditional request that names the current version.
 */
export async function startIpaCkanStandin(o: { port?: number; dataset: StandinDataset; delayMs?: [number, number] }): Promise<IpaCkanHandle> {
  let enti = o.dataset.enti;
  let raw: string | null = null;
  let version = 0;
  let current = build();

  function build() {
    const body = raw ?? entiDumpCsv(enti, true);
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
    const lastModified = new Date(FIRST_VERSION_AT + version * 86_400_000).toUTCString();
    return { body, etag, lastModified, modifiedAt: FIRST_VERSION_AT + version * 86_400_000 };
  }
  const bump = () => {
    version += 1;
    current = build();
  };

  const handle = await startStandin({
    name: 'ipa-ckan',
    port: o.port,
    delayMs: o.delayMs,
    handle: (r) => answer(r),
  });

  function answer(r: StandinRequest): StandinResponse {
    if (r.method !== 'GET' || r.path !== DUMP_PATH)
      return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>Not Found</body></html>' };
    const headers = { etag: current.etag, 'last-modified': current.lastModified };
    if (notModified(r, current)) return { status: 304, headers };
    // Without bom=True CKAN leaves the BOM out; the body is otherwise the same.
    const body = raw === null && r.query.get('bom') !== 'True' ? current.body.replace(/^\uFEFF/, '') : current.body;
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${ENTI_RESOURCE_ID}.csv"` },
      body,
    };
  }

  return Object.assign(handle, {
    dumpUrl: `${handle.url}${DUMP_PATH}?bom=True&format=csv`,
    setEnti(next: StandinDataset['enti']) {
      enti = next;
      raw = null;
      bump();
    },
    setRawDump(body: string | null) {
      raw = body;
      bump();
    },
  });
}

/** RFC 9110: If-None-Match wins over If-Modified-Since when both are sent. */
function notModified(r: StandinRequest, current: { etag: string; modifiedAt: number }): boolean {
  const inm = r.headers['if-none-match'];
  if (typeof inm === 'string') {
    return inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === current.etag || tag.trim() === '*');
  }
  const ims = r.headers['if-modified-since'];
  if (typeof ims === 'string') {
    const since = Date.parse(ims);
    return Number.isFinite(since) && current.modifiedAt <= since;
  }
  return false;
}
