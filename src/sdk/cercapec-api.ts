import { ApiNetworkError, ApiProblemError } from './api-errors.ts';
import { createSend, pause, type HttpOptions } from './api-http.ts';
import {
  isPendingLookup,
  type Account,
  type Batch,
  type BatchResultRow,
  type LedgerEntry,
  type LedgerPage,
  type LedgerQuery,
  type ListLookupsQuery,
  type Lookup,
  type LookupList,
  type NewLookup,
  type OpenApiDocument,
  type SearchPage,
  type SearchQuery,
  type SubmittedLookup,
  type Usage,
  type WatchAddResult,
  type WatchEventList,
} from './api-types.ts';

export * from './api-types.ts';
export * from './api-errors.ts';

export interface ApiClientOptions extends HttpOptions {
  /**
   * Where the server answers: `http://127.0.0.1:8080`, or a path prefix behind a proxy. A trailing
   * `/index_ws.php` (the text protocol endpoint) or `/v1` is dropped, so either URL works.
   */
  baseUrl: string;
  /** The API key, sent as `Authorization: Bearer`. */
  key: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per HTTP request, added to a long poll's own wait. Default 30 s. */
  timeoutMs?: number;
  /**
   * Longest `?wait=` that waitForLookup asks for, in seconds. Default 30: below the server's
   * default maximum (60), which a server may lower with CERCAPEC_MAX_WAIT_SECONDS.
   */
  maxWaitSeconds?: number;
}

export interface CallOptions {
  /** Aborts the call; the abort reason is thrown as it is. */
  signal?: AbortSignal;
}

/** A typed client of the cercapec JSON API; see createApiClient. */
export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * A client of the JSON API (`/v1`) with no dependency beyond the global fetch. Errors are an
 * {@link ApiProblemError} (the server's problem+json: branch on `code`) or an
 * {@link ApiNetworkError} (no usable answer); a 429 is retried once after its Retry-After.
 *
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:8080', key: process.env.CERCAPEC_KEY! });
 * const { lookup } = await api.submitLookup({ code: 'IT 82003050109' }, { idempotencyKey: crypto.randomUUID() });
 * const answered = await api.waitForLookup(lookup.id, { timeoutMs: 120_000 });
 * console.log(answered.status, answered.pec); // found protocollo@pec.comune.rezzoaglio.ge.it
 */
export function createApiClient(options: ApiClientOptions) {
  const send = createSend(options);
  const maxWaitSeconds = options.maxWaitSeconds ?? 30;
  const lookupPath = (id: string) => `v1/lookups/${encodeURIComponent(id)}`;

  /** GET /v1/lookups/{id}; with `wait` (seconds) the server holds the request until the lookup is answered. */
  async function getLookup(id: string, opts: { wait?: number } & CallOptions = {}): Promise<Lookup> {
    const wait = opts.wait && opts.wait > 0 ? Math.floor(opts.wait) : undefined;
    return (await send<Lookup>('GET', lookupPath(id), { query: { wait }, extraTimeoutMs: (wait ?? 0) * 1000, signal: opts.signal })).body;
  }

  /** GET /v1/lookups: one page, newest first. */
  async function listLookups(query: ListLookupsQuery = {}, opts: CallOptions = {}): Promise<LookupList> {
    return (await send<LookupList>('GET', 'v1/lookups', { query: { ...query }, signal: opts.signal })).body;
  }

  /** GET /v1/account/ledger: one page, oldest first. */
  async function ledger(query: LedgerQuery = {}, opts: CallOptions = {}): Promise<LedgerPage> {
    return (await send<LedgerPage>('GET', 'v1/account/ledger', { query: { ...query }, signal: opts.signal })).body;
  }

  /** GET /openapi.json (public: sent without the key). */
  async function openapi(opts: CallOptions = {}): Promise<OpenApiDocument> {
    return (await send<OpenApiDocument>('GET', 'openapi.json', { auth: false, signal: opts.signal })).body;
  }

  return {
    /**
     * POST /v1/lookups. With an idempotencyKey, a retry after a lost answer returns the same
     * lookup and is never charged twice (the same key with another body is a 422 problem).
     *
     * @example
     * const { lookup, outcome } = await api.submitLookup({ code: '82003050109', reference: 'recupero crediti' });
     * // outcome: 'created' (charged), 'existing' or 'replayed' (not charged)
     */
    async submitLookup(input: NewLookup, opts: { idempotencyKey?: string } & CallOptions = {}): Promise<SubmittedLookup> {
      const answer = await send<Lookup>('POST', 'v1/lookups', {
        body: input,
        headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {},
        signal: opts.signal,
      });
      const outcome = answer.status === 202 ? 'created' : answer.headers.get('x-cercapec-duplicate') === 'true' ? 'existing' : 'replayed';
      return { lookup: answer.body, outcome };
    },

    getLookup,

    /** POST /v1/watches: start watching up to 10,000 codes; invalid ones come back in `rejected`. */
    async addWatches(codes: readonly string[], opts: { reference?: string } & CallOptions = {}): Promise<WatchAddResult> {
      return (
        await send<WatchAddResult>('POST', 'v1/watches', { body: { codes, ...(opts.reference ? { reference: opts.reference } : {}) }, signal: opts.signal })
      ).body;
    },

    /** GET /v1/watches/events: one page, oldest first; pass the last nextCursor back to resume. */
    async listWatchEvents(query: { cursor?: string; limit?: number } = {}, opts: CallOptions = {}): Promise<WatchEventList> {
      return (await send<WatchEventList>('GET', 'v1/watches/events', { query: { ...query }, signal: opts.signal })).body;
    },

    /**
     * Long polls (`?wait=`) until the lookup is answered or `timeoutMs` has passed, and returns it
     * as it is then: a pending status means the time ran out.
     */
    async waitForLookup(id: string, opts: { timeoutMs: number } & CallOptions): Promise<Lookup> {
      const deadline = Date.now() + opts.timeoutMs;
      for (;;) {
        const wait = Math.max(0, Math.min(maxWaitSeconds, Math.floor((deadline - Date.now()) / 1000)));
        const started = Date.now();
        const lookup = await getLookup(id, { wait, signal: opts.signal });
        if (!isPendingLookup(lookup) || wait === 0) return lookup;
        // A server or proxy that ends long polls early must not turn this into a busy loop.
        if (Date.now() - started < 1000) await pause(Math.min(1000, Math.max(0, deadline - Date.now())), opts.signal);
      }
    },

    /** DELETE /v1/lookups/{id}: a pending lookup is cancelled and refunded; an answered one stays charged. */
    async cancelLookup(id: string, opts: CallOptions = {}): Promise<Lookup> {
      return (await send<Lookup>('DELETE', lookupPath(id), { signal: opts.signal })).body;
    },

    listLookups,

    /**
     * Every lookup matching the filters, newest first, page after page.
     *
     * @example
     * for await (const lookup of api.iterateLookups({ status: 'found' })) console.log(lookup.code, lookup.pec);
     */
    async *iterateLookups(query: Omit<ListLookupsQuery, 'cursor'> = {}, opts: CallOptions = {}): AsyncGenerator<Lookup> {
      let cursor: string | undefined;
      do {
        const page = await listLookups({ ...query, cursor }, opts);
        yield* page.items;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    },

    /** GET /v1/account: the key's account with its balance. */
    /**
     * GET /v1/search: public bodies (IPA) and the server's datasets by name, ranked; charged per
     * call when the account has a search price.
     *
     * @example
     * const { items } = await api.search({ q: 'comune di rezzoaglio' });
     * // items[0].code '82003050109', items[0].pecs[0].pec 'protocollo@pec.comune.rezzoaglio.ge.it'
     */
    async search(query: SearchQuery, opts: CallOptions = {}): Promise<SearchPage> {
      return (await send<SearchPage>('GET', 'v1/search', { query: { ...query }, signal: opts.signal })).body;
    },

    async account(opts: CallOptions = {}): Promise<Account> {
      return (await send<Account>('GET', 'v1/account', { signal: opts.signal })).body;
    },

    ledger,

    /** Every ledger entry, oldest first, page after page. */
    async *iterateLedger(query: Omit<LedgerQuery, 'cursor'> = {}, opts: CallOptions = {}): AsyncGenerator<LedgerEntry> {
      let cursor: string | undefined;
      do {
        const page = await ledger({ ...query, cursor }, opts);
        yield* page.items;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    },

    /** GET /v1/account/usage: lookups and net charges of a month (UTC), `YYYY-MM`. */
    async usage(month: string, opts: CallOptions = {}): Promise<Usage> {
      return (await send<Usage>('GET', 'v1/account/usage', { query: { month }, signal: opts.signal })).body;
    },

    openapi,

    /**
     * POST /v1/batches with a JSON array: one lookup per distinct new code (codes the account
     * already has link to their lookup, uncharged). Extra fields of each element come back as
     * input columns of the results.
     *
     * @example
     * const batch = await api.createBatch([{ code: '82003050109', rif: 'pratica 7' }]);
     */
    async createBatch(
      rows: Array<string | ({ code: string } & Record<string, string | number>)>,
      opts: { callbackUrl?: string } & CallOptions = {},
    ): Promise<Batch> {
      return (await send<Batch>('POST', 'v1/batches', { body: rows, query: { callbackUrl: opts.callbackUrl }, signal: opts.signal, extraTimeoutMs: 120_000 }))
        .body;
    },

    /** GET /v1/batches/{id}: counts by status and progress (0..1). */
    async getBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
      return (await send<Batch>('GET', `v1/batches/${encodeURIComponent(id)}`, { signal: opts.signal })).body;
    },

    /** GET /v1/batches/{id}/results?format=json: one row per input row, in input order. */
    async batchResults(id: string, opts: CallOptions = {}): Promise<BatchResultRow[]> {
      return (
        await send<BatchResultRow[]>('GET', `v1/batches/${encodeURIComponent(id)}/results`, {
          query: { format: 'json' },
          signal: opts.signal,
          extraTimeoutMs: 120_000,
        })
      ).body;
    },

    /** true when the server takes batches (POST /v1/batches); older servers only take lookups. */
    async offersBatches(opts: CallOptions = {}): Promise<boolean> {
      try {
        return Boolean((await openapi(opts)).paths?.['/v1/batches']?.post);
      } catch (error) {
        if (error instanceof ApiProblemError || (error instanceof ApiNetworkError && error.code === 'bad_response')) return false;
        throw error;
      }
    },

    /**
     * true when the server documents the JSON API; false when it answers without it (a server
     * that speaks only the text protocol). An unreachable server still throws.
     */
    async offersJsonApi(opts: CallOptions = {}): Promise<boolean> {
      try {
        const document = await openapi(opts);
        return typeof document.openapi === 'string' && Boolean(document.paths?.['/v1/lookups']?.post);
      } catch (error) {
        if (error instanceof ApiProblemError || (error instanceof ApiNetworkError && error.code === 'bad_response')) return false;
        throw error;
      }
    },
  };
}
