/** The calendar month (UTC) of a time, as YYYY-MM: watches are charged once per code and month. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** The ledger reason of a watch charge: the month only, never the code (the ledger outlives erasure). */
export function watchChargeReason(month: string): string {
  return `sorveglianza PEC ${month}`;
}
