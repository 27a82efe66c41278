import { createHash, randomInt } from 'node:crypto';

/**
 * Recovery codes: what lets a person in when their phone is lost. Ten per enrolment, each
 * usable once, shown once; the store keeps only sha256(user id, code). sha256 is enough here
 * for the reason it is for session ids: 16 random characters of a 30-letter alphabet are 78
 * bits, nothing a guess can reach, and the user id makes equal codes of two people hash apart.
 */
export const RECOVERY_CODE_COUNT = 10;
const LENGTH = 16;
/** Lower-case letters and digits without 0/o, 1/l/i and u: nothing to misread on paper. */
const ALPHABET = '23456789abcdefghjkmnpqrstvwxyz';

/** New codes as shown: `abcd-efgh-jkmn-pqrs`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** A code as typed: case, spaces and dashes do not matter. '' when it cannot be a code. */
export function normalizeRecoveryCode(typed: string): string {
  const code = typed.toLowerCase().replace(/[\s-]/g, '');
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : '';
}

export function hashRecoveryCode(userId: string, code: string): string {
  return createHash('sha256')
    .update(`${userId}\n${normalizeRecoveryCode(code)}`, 'utf8')
    .digest('hex');
}
