import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are hashed with scrypt (node:crypto). N = 2^15, r = 8, p = 1 costs 32 MiB and
 * 157 ms per hash on the 2-core development machine (2^16: 317 ms, 2^17: 670 ms and 128 MiB):
 * slow enough against guessing, cheap enough that a burst of logins does not starve the
 * server. The parameters are stored with each hash, so raising them later needs no migration:
 * old hashes keep verifying with their own.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** The default cost, as a power of two (config `passwordHashCost`, CERCAPEC_PASSWORD_HASH_COST). */
export const DEFAULT_SCRYPT_COST = 15;
export const SCRYPT_PARAMS: ScryptParams = scryptParams(DEFAULT_SCRYPT_COST);
const KEY_LENGTH = 32;
const SALT_BYTES = 16;

/**
 * A password an admin hands over (a reset, a new user): 16 characters of base64url, 96 random
 * bits; shown once, never stored in clear.
 */
export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

/** N = 2^cost with r = 8, p = 1. Each step doubles time and memory (cost 10: 1 MiB, a few ms). */
export function scryptParams(cost: number): ScryptParams {
  return { N: 2 ** cost, r: 8, p: 1 };
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt>$<hash>`, salt and hash in base64url. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, KEY_LENGTH);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time comparison; false (never an exception) for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 2 ** 20) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length < 16) return false;
  const actual = await derive(password, Buffer.from(parts[4], 'base64url'), { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * The hash of a random password nobody kept, verified when the username does not exist, so a
 * login for an unknown name costs as much as one with a wrong password.
 */
export const DECOY_HASH = 'scrypt$32768$8$1$1Lct4_R-QN4AIw0lre8iwg$79RikqO1PyUZsIr0y1Ji9x2RMyx70W-WGYHIWIBy0lc';

/**
 * DECOY_HASH's salt and hash under other parameters, so that an unknown name costs what a user
 * hashed at the configured cost costs. The hash bytes were derived with other parameters: no
 * password anyone can find verifies against it.
 */
export function decoyHash(params: ScryptParams): string {
  const [, , , , salt, hash] = DECOY_HASH.split('$');
  return ['scrypt', params.N, params.r, params.p, salt, hash].join('$');
}
