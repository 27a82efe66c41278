/** The states of an account (accounts.status): the column type is derived from this object. */
export const AccountStatus = {
  /** Its keys and its people may use the service. */
  active: 'active',
  /** Its keys and its portal people are refused; its data stays. */
  disabled: 'disabled',
} as const;
export type AccountStatus = (typeof AccountStatus)[keyof typeof AccountStatus];

export const ACCOUNT_STATUSES: readonly AccountStatus[] = Object.values(AccountStatus);
