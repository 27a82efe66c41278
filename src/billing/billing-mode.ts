/** How an account pays (accounts.billing_mode): the column type is derived from this object. */
export const BillingMode = {
  /** Pays before: a lookup needs credit (down to the account's credit limit, 0 by default). */
  prepaid: 'prepaid',
  /** Pays after, on the usage statement: no limit unless the account has a credit limit. */
  postpaid: 'postpaid',
} as const;
export type BillingMode = (typeof BillingMode)[keyof typeof BillingMode];

export const BILLING_MODES: readonly BillingMode[] = Object.values(BillingMode);
