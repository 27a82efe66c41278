import type { AccountStatus } from '../accounts/account-status.ts';
import type { BatchFormat, BatchStatus } from '../batches/batch-status.ts';
import type { BillingMode } from '../billing/billing-mode.ts';
import type { LedgerKind } from '../billing/ledger-kind.ts';
import type { LookupStatus } from '../lookups/lookup-status.ts';
import type { JobStatus } from '../queue/job-status.ts';
import type { AttemptOutcome } from '../registries/attempt-outcome.ts';
import type { UserStatus } from '../users/user-status.ts';
import type { DeliveryStatus } from '../webhooks/webhook-status.ts';

/**
 * Row types of every table, one complete interface each. The states of a row (status columns)
 * are `as const` objects in the module that owns the table; the column types are derived from them. Times are epoch milliseconds and money is integer cents on both
 * dialects (PostgreSQL bigints are parsed back to numbers by the pool's type parser).
 */
export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  ledger: LedgerTable;
  requests: RequestsTable;
  request_addresses: RequestAddressesTable;
  attempts: AttemptsTable;
  jobs: JobsTable;
  datasets: DatasetsTable;
  directory_entries: DirectoryEntriesTable;
  idempotency_keys: IdempotencyKeysTable;
  auth_epoch: AuthEpochTable;
  // webhooks (0004)
  account_webhooks: AccountWebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  // batches (0003)
  batches: BatchesTable;
  batch_rows: BatchRowsTable;
  // registries (0005)
  registry_cache: RegistryCacheTable;
  registry_sync: RegistrySyncTable;
  // back office (0006)
  users: UsersTable;
  admin_sessions: AdminSessionsTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
  // second factor (0021)
  totp_recovery_codes: TotpRecoveryCodesTable;
  login_challenges: LoginChallengesTable;
  // batch idempotency (0010)
  batch_idempotency_keys: BatchIdempotencyKeysTable;
  // search by name (0011)
  name_entries: NameEntriesTable;
  name_doc_counter: NameDocCounterTable;
  name_words: NameWordsTable;
  // history (0012), watches (0013)
  address_observations: AddressObservationsTable;
  watches: WatchesTable;
  watch_events: WatchEventsTable;
}

export interface IdempotencyKeysTable {
  account_id: string;
  key: string;
  /** sha256 of the canonical request body: the same key with another body is refused. */
  body_hash: string;
  request_id: string;
  created_at: number;
}

/**
 * Every table with the columns that order it (its key), in an order that respects foreign
 * keys. copy-store walks this list: a test checks it against the migrated schema, so a new
 * table cannot be forgotten.
 */
export const TABLE_KEYS = {
  accounts: ['id'],
  api_keys: ['id'],
  ledger: ['id'],
  requests: ['id'],
  request_addresses: ['request_id', 'position'],
  attempts: ['id'],
  jobs: ['id'],
  datasets: ['id'],
  directory_entries: ['dataset_id', 'code', 'position'],
  idempotency_keys: ['account_id', 'key'],
  auth_epoch: ['id'],
  // webhooks (0004)
  account_webhooks: ['account_id'],
  webhook_deliveries: ['id'],
  webhook_attempts: ['id'],
  batches: ['id'],
  batch_rows: ['batch_id', 'row_index'],
  // registries (0005)
  registry_cache: ['source', 'code'],
  registry_sync: ['source'],
  // back office (0006)
  users: ['id'],
  admin_sessions: ['token_hash'],
  login_failures: ['username', 'address'],
  audit_log: ['id'],
  // second factor (0021)
  totp_recovery_codes: ['user_id', 'code_hash'],
  login_challenges: ['token_hash'],
  // batch idempotency (0010)
  batch_idempotency_keys: ['account_id', 'key'],
  // history (0012), watches (0013)
  address_observations: ['id'],
  watches: ['account_id', 'code'],
  watch_events: ['id'],
  // search by name (0011)
  name_doc_counter: ['id'],
  name_entries: ['doc'],
  // bounded search (0020)
  name_words: ['word', 'words', 'doc'],
} as const satisfies { [T in keyof Database]: readonly (keyof Database[T] & string)[] };

/** One row (id 1): moved by every change to who may use a key; see accounts/auth-changes.ts. */
export interface AuthEpochTable {
  id: number;
  epoch: number;
}

export interface AccountsTable {
  id: string;
  name: string;
  billing_mode: BillingMode;
  price_cents: number;
  /** How far below zero the balance may go; null on a postpaid account means no limit. */
  credit_limit_cents: number | null;
  status: AccountStatus;
  default_reference: string | null;
  /**
   * The sum of the account's ledger, kept in the same transaction as every ledger row
   * (billing/ledger.ts is the only writer of both); `cercapec ledger verify` checks it.
   */
  balance_cents: number;
  /** 1 when a request no source could answer waits for a person (the operator queue). */
  operator_fallback: number;
  /** Price of one name search (GET /v1/search); 0: free. */
  search_price_cents: number;
  /** Monthly price of one watched code; null: watches are free. */
  watch_price_cents: number | null;
  /** Price of a verification; null: the lookup price. */
  verification_price_cents: number | null;
  /** Billing details (migration 0016, accounts/billing-details.ts), all optional: ragione sociale. */
  billing_legal_name: string | null;
  /** Partita IVA, 11 digits, check digit verified. */
  billing_vat_number: string | null;
  /** Codice destinatario SDI: 7 characters, '0000000' when invoices go by PEC. */
  billing_sdi_code: string | null;
  /** The PEC address invoices go to. */
  billing_pec: string | null;
  billing_contact_name: string | null;
  billing_contact_email: string | null;
  billing_contact_phone: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  /** sha256 of the key: keys are 192 random bits, so a fast hash is enough (passwords use scrypt). */
  key_hash: string;
  /** First characters of the key, so people can tell their keys apart in listings. */
  key_prefix: string;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface LedgerTable {
  id: string;
  account_id: string;
  /** Positive adds credit (top-up, refund), negative takes it (charge). */
  amount_cents: number;
  kind: LedgerKind;
  request_id: string | null;
  reason: string | null;
  created_at: number;
}

export interface RequestsTable {
  /** The token handed to the customer. */
  id: string;
  account_id: string;
  code: string;
  kind: 'cf16' | 'cf11';
  status: LookupStatus;
  /** The normalised code while the request blocks a new one for the same code; null once deleted. */
  dedup_code: string | null;
  reference: string | null;
  /** Where to POST the answer (JSON API webhooks); null when none. */
  callback_url: string | null;
  pec: string | null;
  source: string | null;
  error_code: string | null;
  error_message: string | null;
  charged_cents: number;
  via: 'text' | 'json' | 'batch';
  /** The batch that created the request, if any. */
  batch_id: string | null;
  created_at: number;
  updated_at: number;
  answered_at: number | null;
  deleted_at: number | null;
}

/** The states of a lookup (lookups/lookup-status.ts), by its table's name. */
export type RequestStatus = LookupStatus;

export interface RequestAddressesTable {
  request_id: string;
  position: number;
  pec: string;
  source: string;
  kind: string;
  dataset_id: string | null;
  label: string | null;
  found_at: number;
  profession: string | null;
  valid_from: number | null;
  valid_until: number | null;
}

export interface AttemptsTable {
  id: string;
  request_id: string;
  source: string;
  started_at: number;
  finished_at: number;
  /** A text column on both dialects, no CHECK: skipped came later (INAD and omocodic codes). */
  outcome: AttemptOutcome;
  error: string | null;
}

export interface JobsTable {
  id: string;
  queue: string;
  payload: string;
  status: JobStatus;
  run_at: number;
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface DatasetsTable {
  id: string;
  name: string;
  format: 'csv' | 'ipa-enti';
  source_file: string | null;
  rows_read: number;
  rows_imported: number;
  rows_rejected: number;
  imported_at: number;
  /** Set for datasets a registry mirror keeps; null for the customer's own imports. */
  managed_by: string | null;
  /** The account a customer dataset belongs to (`import --account`): only it searches the names; null: every account (0020). */
  account_id: string | null;
}

export interface DirectoryEntriesTable {
  dataset_id: string;
  code: string;
  position: number;
  pec: string;
  kind: string;
  label: string | null;
}

// --- webhooks (migration 0004) ---------------------------------------------------------------

export interface AccountWebhooksTable {
  account_id: string;
  /** The account's default callback: lookups without their own callbackUrl are posted here. */
  url: string | null;
  /** The signing secret (HMAC-SHA256 key). Kept readable: every delivery is signed with it. */
  secret: string;
  /** When the whole secret was last shown (it is shown once; afterwards only a hint). */
  secret_shown_at: number | null;
  created_at: number;
  updated_at: number;
}

export type WebhookDeliveryStatus = DeliveryStatus;

export interface WebhookDeliveriesTable {
  id: string;
  account_id: string;
  /** The lookup the event is about; null for batch events. */
  request_id: string | null;
  batch_id: string | null;
  url: string;
  event: string;
  /** The JSON body, frozen when the event happened: every attempt sends the same bytes. */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  /** When the next attempt is due; null once delivered or failed. */
  next_attempt_at: number | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  at: number;
  /** The receiver's HTTP status; null when no response came (refused, timeout, blocked). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

// --- batches (migration 0003) ----------------------------------------------------------------

export interface BatchesTable {
  id: string;
  account_id: string;
  status: BatchStatus;
  format: BatchFormat;
  /** The input column read as codes, by its (normalised) header name. */
  column_name: string | null;
  /** JSON array of the input's column names, in order; every row's input is aligned to it. */
  input_columns: string;
  /** `;` or `,` for a CSV upload: results in CSV use the same. */
  csv_delimiter: string | null;
  total_rows: number;
  valid_rows: number;
  invalid_rows: number;
  distinct_codes: number;
  /** Lookups this batch created (and charged); the other valid rows share lookups the account had. */
  new_lookups: number;
  charged_cents: number;
  callback_url: string | null;
  /** JSON object of row counts by status, frozen when the batch completes (they change no more). */
  counts: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface BatchRowsTable {
  batch_id: string;
  /** 0-based position among the data rows of the upload. */
  row_index: number;
  /** JSON array of the row's cells as text, aligned to batches.input_columns. */
  input: string;
  /** The normalised code; null when the row is invalid. */
  code: string | null;
  /** Why the row has no lookup: an invalid code, or credit that ran out while creating. */
  error: string | null;
  request_id: string | null;
}

// --- registries (migration 0005) --------------------------------------------------------------

export interface RegistryCacheTable {
  source: string;
  code: string;
  outcome: 'found' | 'not_found';
  /** JSON array of FoundAddress; [] when not found. */
  addresses: string;
  cached_at: number;
  expires_at: number;
}

/** A mirrored registry's freshness (IPA open data): what was downloaded, when, and how it went. */
export interface RegistrySyncTable {
  source: string;
  etag: string | null;
  last_modified: string | null;
  dataset_id: string | null;
  rows: number | null;
  checked_at: number | null;
  refreshed_at: number | null;
  status: 'ok' | 'error' | 'never';
  error: string | null;
}

// --- back office (migration 0006) ------------------------------------------------------------

/** People who log in: staff to /admin, customers (role customer, one account) to /portal. API keys open neither. */
export interface UsersTable {
  id: string;
  /** Lower case, unique, never renamed (the audit log names people by it). */
  username: string;
  /** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash. */
  password_hash: string;
  /** customer: a person of one account, for the portal (/portal); never opens /admin. */
  role: 'admin' | 'operator' | 'customer';
  status: UserStatus;
  /** The customer's account (migration 0014); null for staff. */
  account_id: string | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  /**
   * The TOTP secret, base32 (0021; src/users/second-factor.ts). Kept readable, like a webhook
   * secret: every code is checked with it and there is no server key to seal it with. Set when
   * enrolment starts; a second factor only once `totp_enabled_at` is set.
   */
  totp_secret: string | null;
  totp_enabled_at: number | null;
  /** The time step of the last code accepted: a code of this step or an earlier one is refused (no replay). */
  totp_last_step: number | null;
}

/** Single-use recovery codes (0021): only sha256(user id, code); a used code's row is deleted. */
export interface TotpRecoveryCodesTable {
  user_id: string;
  code_hash: string;
  created_at: number;
}

/**
 * A login waiting for its second factor (0021; src/users/login-challenge.ts): the password was
 * right. Only the sha256 of the cookie's token is stored; it lives a few minutes and a few wrong codes.
 */
export interface LoginChallengesTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  failures: number;
}

export interface AdminSessionsTable {
  /** sha256 (hex) of the 256-bit session id in the cookie: a copy of the table opens no session. */
  token_hash: string;
  user_id: string;
  created_at: number;
  /** Idle expiry counts from here; every authenticated page view moves it. */
  last_seen_at: number;
  /** A one-time message for the next page, encrypted with the session id (0015; src/users/session-flash.ts). */
  flash: string | null;
}

/**
 * Failed logins (known usernames or not, so the throttle does not reveal which exist), counted
 * per (username, address), per address (username '') and per username (address ''): 0009.
 */
export interface LoginFailuresTable {
  username: string;
  address: string;
  failures: number;
  first_failed_at: number;
  last_failed_at: number;
}

export interface AuditLogTable {
  id: string;
  at: number;
  /** `user:<username>` for the back office, `cli` for the command line. */
  actor: string;
  /** `<object>.<verb>`: account.create, ledger.topup, key.revoke, request.answer... */
  action: string;
  /** The id of what changed (account, key, request, user); null when none. */
  target: string | null;
  before_json: string | null;
  after_json: string | null;
}

// --- batch idempotency (migration 0010) ------------------------------------------------------

/** An Idempotency-Key of a batch upload and the batch it created (answered 202). */
export interface BatchIdempotencyKeysTable {
  account_id: string;
  key: string;
  /** sha256 of the upload's bytes with its format, column and callback: the same key with another upload is refused. */
  body_hash: string;
  batch_id: string;
  created_at: number;
}

// --- history (migration 0012) -----------------------------------------------------------------

/** What one source said about one code over a span of time (history/observe.ts keeps it). */
export interface AddressObservationsTable {
  id: string;
  code: string;
  source: string;
  /** null: the source said it has no address for the code (not found, ceased, gone). */
  pec: string | null;
  kind: string | null;
  first_seen_at: number;
  last_seen_at: number;
  /** Validity the source itself gives (INAD since, IPA Data_aggiornamento); null when it gives none. */
  valid_from: number | null;
  valid_to: number | null;
  /** When another answer of the same source replaced this one; null while it is the current one. */
  superseded_at: number | null;
}

// --- watches (migration 0013) -----------------------------------------------------------------

export interface WatchesTable {
  account_id: string;
  code: string;
  kind: 'cf16' | 'cf11';
  reference: string | null;
  created_at: number;
  /** The last calendar month (YYYY-MM, UTC) charged for this watch; null when never charged. */
  billed_month: string | null;
}

export interface WatchEventsTable {
  id: string;
  account_id: string;
  code: string;
  type: 'pec.added' | 'pec.changed' | 'pec.removed';
  before_pec: string | null;
  after_pec: string | null;
  source: string;
  at: number;
  /** The observation that made the change: one event per account and observation, ever. */
  observation_id: string;
}

// --- search by name (migration 0011) ---------------------------------------------------------

/**
 * A name to search, one per (dataset, code): the IPA mirror's enti and customer datasets
 * imported with a name column. Its PECs are the dataset's directory_entries of the same code.
 * Its words are indexed in name_words (migration 0020; 0011's FTS5 and GIN indexes are gone).
 */
export interface NameEntriesTable {
  /** Allocated from name_doc_counter (search/name-index.ts): the same numbers on both dialects. */
  doc: number;
  dataset_id: string;
  code: string;
  /** Codice IPA (IPA rows only). */
  ipa_code: string | null;
  name: string;
  /** The name's words normalised (search/normalize-name.ts), space separated: what is indexed. */
  terms: string;
  words: number;
  /** ISTAT code of the municipality (IPA Codice_comune_ISTAT). */
  municipality_code: string | null;
  /** Province abbreviation (GE), from the ISTAT code. */
  province: string | null;
  postcode: string | null;
  address: string | null;
  /** IPA Codice_Categoria (L6: comuni). */
  category: string | null;
}

/**
 * One row per distinct word of a name (migration 0020): a query word's prefix range read in key
 * order, whole word first, shorter names first (search/search-names.ts). Deleted with its name.
 */
export interface NameWordsTable {
  word: string;
  /** name_entries.words of the name: shorter names first within a word. */
  words: number;
  doc: number;
}

/** One row (id 1): the next free name_entries.doc; moved by every import that writes names. */
export interface NameDocCounterTable {
  id: number;
  next_doc: number;
}
