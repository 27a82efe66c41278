import type { z } from 'zod';
import type {
  AccountSchema,
  AddressSchema,
  LedgerEntrySchema,
  LedgerPageSchema,
  LookupListSchema,
  LookupSchema,
  LookupStatusSchema,
  NewLookupSchema,
  ProblemSchema,
  UsageSchema,
} from '../resources/schemas.ts';
import type { BatchSchema } from '../resources/batch-schemas.ts';
import type { WatchAddResultSchema, WatchEventListSchema } from '../resources/watch-schemas.ts';
import type { NameResultSchema, SearchPageSchema } from '../resources/search-schemas.ts';

/*
 * The JSON API's shapes, taken from the zod schemas that validate the server's routes. Type-only
 * imports: the SDK carries no server code at run time, and a schema change breaks its build.
 */

export type Lookup = z.output<typeof LookupSchema>;
export type WatchAddResult = z.output<typeof WatchAddResultSchema>;
export type WatchEventList = z.output<typeof WatchEventListSchema>;
export type LookupStatus = z.output<typeof LookupStatusSchema>;
export type LookupAddress = z.output<typeof AddressSchema>;
export type LookupList = z.output<typeof LookupListSchema>;
export type NewLookup = z.input<typeof NewLookupSchema>;
export type Account = z.output<typeof AccountSchema>;
export type LedgerEntry = z.output<typeof LedgerEntrySchema>;
export type LedgerPage = z.output<typeof LedgerPageSchema>;
export type Usage = z.output<typeof UsageSchema>;
export type Problem = z.output<typeof ProblemSchema>;
export type Batch = z.output<typeof BatchSchema>;
export type NameResult = z.output<typeof NameResultSchema>;
export type SearchPage = z.output<typeof SearchPageSchema>;

/** GET /v1/search: q is required; the filters narrow to IPA bodies of a province or category. */
export interface SearchQuery {
  q: string;
  province?: string;
  category?: string;
  limit?: number;
  cursor?: string;
}

/** One row of GET /v1/batches/{id}/results?format=json, in input order. */
export interface BatchResultRow {
  /** 1-based position among the upload's rows. */
  row: number;
  input: Record<string, string>;
  code: string | null;
  /** The lookup's status, or invalid (no valid code) or refused (credit ran out while creating). */
  status: LookupStatus | 'invalid' | 'refused';
  pec: string | null;
  addresses: string[];
  source: string | null;
  error: string | null;
}

/** Statuses of a lookup still waiting for its answer. */
export const PENDING_LOOKUP_STATUSES = ['queued', 'running', 'waiting_operator'] as const satisfies readonly LookupStatus[];

/** true while the lookup has no answer yet (found, not_found, failed and cancelled are final). */
export function isPendingLookup(lookup: Pick<Lookup, 'status'>): boolean {
  return (PENDING_LOOKUP_STATUSES as readonly LookupStatus[]).includes(lookup.status);
}

export interface ListLookupsQuery {
  status?: LookupStatus;
  /** A codice fiscale or partita IVA in any usual spelling; the server normalises it. */
  code?: string;
  /** 1 to 100, default 50. */
  limit?: number;
  cursor?: string;
}

export interface LedgerQuery {
  /** 1 to 500, default 100. */
  limit?: number;
  cursor?: string;
}

/**
 * What POST /v1/lookups did: `created` (202, charged now), `existing` (200: this account already
 * had a lookup for the code, returned as it is, nothing charged) or `replayed` (200: a retry with
 * the same Idempotency-Key and body, nothing charged).
 */
export interface SubmittedLookup {
  lookup: Lookup;
  outcome: 'created' | 'existing' | 'replayed';
}

/** The parts of /openapi.json a client looks at. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}
