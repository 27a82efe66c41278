import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a secret someone sent with the expected one in time that depends on neither: for
 * tokens, signatures, CSRF values and passwords' derived keys. Both sides are hashed to 32
 * bytes first, so the comparison takes the same time whatever the lengths, and the length of
 * the secret does not leak either (timingSafeEqual alone throws on different lengths, and a
 * length check before it answers faster for a wrong length).
 *
 * API keys are not compared at all: they are looked up by their sha256 (accounts/api-keys.ts).
 *
 * @example
 * if (!secretsEqual(req.headers['x-csrf-token'] ?? '', session.csrf)) return reply.code(403).send();
 */
export function secretsEqual(given: string | Buffer | null | undefined, expected: string | Buffer): boolean {
  const a = digest(given ?? '');
  const b = digest(expected);
  // Compare the digests whatever happens, then also require a non-empty expected secret: an
  // unset secret must never match an empty answer.
  return timingSafeEqual(a, b) && byteLength(expected) > 0;
}

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

function byteLength(value: string | Buffer): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
