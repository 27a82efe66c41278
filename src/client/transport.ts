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
}
