/**
 * How the client talks to a lookup service. The text protocol (`/index_ws.php`) is the first
 * implementation; a JSON transport (`/v1/lookups`) can be added behind the same four calls
 * without touching `lookup`, `batch` or `watch`.
 *
 * Outcomes about a code are values (`duplicate`, `error`); problems with the service itself are
 * thrown as `ClientError`: `unreachable` and `unavailable` (worth retrying), `key_invalid` and
 * `bad_answer` (not). Rate limiting (HTTP 429) is handled inside the transport: it waits.
 */
export type SubmitResult =
  | { kind: 'accepted'; token: string }
  /** The account already has a request for this code that was not deleted. */
  | { kind: 'duplicate' }
  | { kind: 'error'; message: string };

export type PollResult =
  | { kind: 'wait' }
  /** `source` is the registry that answered, when the protocol says (the text protocol does not). */
  | { kind: 'found'; pec: string; source?: string }
  | { kind: 'notFound'; source?: string }
  | { kind: 'error'; message: string };

export type CancelResult = { kind: 'cancelled' } | { kind: 'none' } | { kind: 'error'; message: string };

export interface Transport {
  /** Who answers, for the `fonte` column when the protocol does not name the registry. */
  readonly name: string;
  submit(code: string): Promise<SubmitResult>;
  poll(token: string): Promise<PollResult>;
  /** Deletes the account's request for a code (refunded if it was not answered yet). */
  cancel(code: string): Promise<CancelResult>;
  /** The account's balance in cents (negative when a postpaid account owes). */
  balance(): Promise<number>;
  /** The account's price per lookup in cents, when the protocol says (the text protocol does not). */
  price?(): Promise<number | null>;
  /** Whole-file lookups in one upload, when the server offers them (cercapec's /v1/batches); null otherwise. */
  bulk?(): Promise<BulkApi | null>;
}

/** A server-side batch: one upload, one progress to watch, one download of the answers. */
export interface BulkApi {
  /** Uploads the codes (each once) and returns the batch id. */
  create(codes: readonly string[]): Promise<string>;
  /** Rows settled of the batch's rows; done when every row is. */
  progress(batchId: string): Promise<{ settled: number; total: number; done: boolean }>;
  /** The answer per code, once done (an unknown batch: null). */
  answers(batchId: string): Promise<Map<string, Exclude<PollResult, { kind: 'wait' }> & { retryable?: boolean }> | null>;
}
