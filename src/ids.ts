import { randomBytes } from 'node:crypto';

/**
 * Request tokens: 144 random bits, base64url (24 characters). The protocol hands them to
 * customers as the only handle on a request, so they must be unguessable (>= 128 bits).
 */
export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

/** Internal row ids: a millisecond timestamp prefix keeps them roughly ordered, 80 random bits keep them unique. */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`;
}
