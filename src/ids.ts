import { randomBytes } from 'node:crypto';

/**
 * Request tokens: 144 random bits, base64url (24 characters). The protocol hands them to
 * customers as the only handle on a request, so they must be unguessable (>= 128 bits).
 */
export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

let sequence = 0;

/**
 * Internal row ids: a millisecond timestamp, then a per-process sequence so rows made in the
 * same millisecond keep their order (ledgers list by time then id), then 64 random bits so
 * processes never collide.
 */
export function newId(prefix: string, now = Date.now()): string {
  sequence = (sequence + 1) % 1_679_616; // 36^4
  return `${prefix}_${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(8).toString('hex')}`;
}
