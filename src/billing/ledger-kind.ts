/** The kinds of ledger row (ledger.kind): the column type is derived from this object. */
export const LedgerKind = {
  /** Credit added by staff (or an account's opening credit). */
  topup: 'topup',
  /** Credit taken away by staff (a negative top-up). */
  adjustment: 'adjustment',
  /** A lookup, a verification or a month of a watch. */
  charge: 'charge',
  /** A charge given back (a lookup cancelled or failed). */
  refund: 'refund',
  /** A name search. */
  search: 'search',
} as const;
export type LedgerKind = (typeof LedgerKind)[keyof typeof LedgerKind];

export const LEDGER_KINDS: readonly LedgerKind[] = Object.values(LedgerKind);
