import { generateSecret, generateURI, verify } from 'otplib';

/**
 * TOTP (RFC 6238) through otplib: 30-second steps, 6 digits, SHA-1, the parameters every
 * authenticator app reads from an otpauth:// URI. Time comes from the caller (the app's Clock),
 * in epoch milliseconds, so tests move it instead of waiting.
 */
export const PERIOD_SECONDS = 30;
/** One step either side: a phone whose clock is up to 30 s off, or a code typed as it turns over. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;

/** What the authenticator app names the entry after (with the username). */
export const TOTP_ISSUER = 'cercapec';

/** A new secret: 20 random bytes (160 bits, RFC 4226's recommendation) in base32. */
export function newTotpSecret(): string {
  return generateSecret();
}

/** The otpauth:// URI an authenticator app reads (as a QR code, or pasted). */
export function totpUri(username: string, secret: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: username, secret });
}

export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/**
 * The time step a code belongs to when it is right now (within one step) and later than
 * `afterStep` (the last one accepted: a code is never accepted twice), else null.
 */
export async function checkTotp(secret: string, code: string, nowMs: number, afterStep: number | null): Promise<number | null> {
  if (!isTotpCode(code)) return null;
  const epoch = Math.floor(nowMs / 1000);
  // otplib throws when afterTimeStep lies beyond the window (a clock moved back): nothing can match then.
  if (afterStep !== null && afterStep >= Math.floor((epoch + TOLERANCE_SECONDS) / PERIOD_SECONDS)) return null;
  const result = await verify({
    secret,
    token: code,
    epoch,
    epochTolerance: TOLERANCE_SECONDS,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  // otplib's verify answers for TOTP and HOTP alike: only a TOTP answer has a time step.
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}
