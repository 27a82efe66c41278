/** The states of a person who logs in (users.status): the column type is derived from this object. */
export const UserStatus = {
  active: 'active',
  /** Cannot log in; their sessions are ended when they are disabled. */
  disabled: 'disabled',
} as const;
export type UserStatus = (typeof UserStatus)[keyof typeof UserStatus];
