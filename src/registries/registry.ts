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
}

export type RegistryAnswer =
  | { outcome: 'found'; addresses: FoundAddress[] }
  | { outcome: 'not_found' };

export interface LookupQuery {
  requestId: string;
  code: string;
  kind: CodeKind;
  /** Purpose the customer gave (INAD's practicalReference); null when none. */
  reference: string | null;
}

/**
 * One source of answers. Implementations throw RegistryError for failures; anything else they
 * throw is treated as a transient fault of that source.
 */
export interface Registry {
  readonly id: string;
  readonly kinds: readonly CodeKind[];
  lookup(query: LookupQuery, signal: AbortSignal): Promise<RegistryAnswer>;
}

export class RegistryError extends Error {
  constructor(
    readonly source: string,
    /** true: worth retrying later (timeouts, 5xx, 429); false: retrying cannot help. */
    readonly transient: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}
