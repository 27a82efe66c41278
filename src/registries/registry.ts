import type { CodeKind } from '../taxid/index.ts';

/** Who the address belongs to, as the registries tell it. */
export type AddressKind = 'impresa' | 'professionista' | 'ente' | 'persona' | 'sconosciuto';

export interface FoundAddress {
  pec: string;
  kind: AddressKind;
  /** The registry (source id) that gave this address. */
  source: string;
  /** For the local directory: the dataset that held it. */
  datasetId?: string | null;
  /** A name to show beside the address (denominazione, professione). */
  label?: string | null;
  /** The profession the address is registered for (INI-PEC professionals, INAD). */
  profession?: string | null;
  /** Since when the address is the domicile (epoch ms), when the registry says. */
  validFrom?: number | null;
  /** When it stops being the domicile (a notified cessation, epoch ms); null when open-ended. */
  validUntil?: number | null;
}

export type RegistryAnswer = { outcome: 'found'; addresses: FoundAddress[] } | { outcome: 'not_found' };

export interface LookupQuery {
  requestId: string;
  code: string;
  kind: CodeKind;
  /** Purpose the customer gave (INAD's practicalReference); null when none. */
  reference: string | null;
  /** true: past the answer cache to the source itself (watch re-checks); the answer is still cached. */
  fresh?: boolean;
}

/**
 * One source of answers. Implementations throw RegistryError for failures; anything else they
 * throw is treated as a transient fault of that source.
 */
export interface Registry {
  readonly id: string;
  readonly kinds: readonly CodeKind[];
  /** false: answers are not cached (local, already fast). Default true. */
  readonly cacheable?: boolean;
  /**
   * true: a cached answer serves only lookups with the same purpose (INAD records every
   * extraction under its practicalReference; another customer's purpose must reach INAD).
   */
  readonly cachePerReference?: boolean;
  /** Releases sockets and timers (HTTP agents, batchers). */
  close?(): Promise<void>;
  lookup(query: LookupQuery, signal: AbortSignal): Promise<RegistryAnswer>;
  /**
   * Why this source cannot be asked about this code at all (its API refuses the form), or null.
   * The chain records the attempt as `skipped` with this reason and goes on: not an error (the
   * breaker never sees it), not an answer (the code is "not found" only by the sources asked).
   */
  skipReason?(query: LookupQuery): string | null;
  /**
   * Local sources only: many codes in one read (batches). Codes absent from the map are not
   * found. Purpose-free: sources that care about the reference do not offer it.
   */
  lookupMany?(codes: readonly string[]): Promise<Map<string, RegistryAnswer>>;
  /**
   * Sources with a point-in-time check of their own (INAD /verify): whether `pec` was the
   * code's address at `at`. Throws RegistryError like lookup; skipReason applies here too.
   */
  verifyAddress?(q: AddressCheck, signal: AbortSignal): Promise<{ matches: boolean; checkedAt: number | null }>;
}

export interface AddressCheck {
  code: string;
  pec: string;
  /** Epoch ms. */
  at: number;
  /** The purpose (INAD's practicalReference). */
  reference: string;
}

export class RegistryError extends Error {
  constructor(
    readonly source: string,
    /** true: worth retrying later (timeouts, 5xx, 429); false: retrying cannot help. */
    readonly transient: boolean,
    message: string,
    /** The HTTP status or the registry's own error code, for logs and metrics. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}
