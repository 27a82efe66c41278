import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Each request carries
 *
 *   x-cercapec-timestamp: <unix seconds>
 *   x-cercapec-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *
 * where the key is the account's secret as written (UTF-8, `whsec_` prefix included) and body
 * the raw bytes received. Signing the timestamp with the body lets a receiver refuse replays
 * older than a few minutes. docs/webhooks.md shows the check in Node and in shell.
 */
export const SIGNATURE_VERSION = 'v1';

/** A new signing secret: 256 random bits. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** What listings show instead of the secret: enough to tell two secrets apart. */
export function secretHint(secret: string): string {
  return `${secret.startsWith('whsec_') ? 'whsec_' : ''}…${secret.slice(-4)}`;
}

/** The x-cercapec-signature value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

export interface VerifyOptions {
  /** Unix seconds now; with toleranceSeconds, older or future timestamps are refused. */
  nowSeconds?: number;
  /** Default 300 (5 minutes) when nowSeconds is given. */
  toleranceSeconds?: number;
}

/**
 * Checks a received webhook, in constant time. The header may hold several comma-separated
 * signatures (future versions); any matching v1 one is enough.
 *
 * @example
 * const ok = verifyWebhook(secret, req.headers['x-cercapec-signature'], req.headers['x-cercapec-timestamp'], rawBody,
 *   { nowSeconds: Math.floor(Date.now() / 1000) });
 */
export function verifyWebhook(secret: string, signature: string | undefined, timestamp: string | undefined, body: string, o: VerifyOptions = {}): boolean {
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (o.nowSeconds !== undefined && Math.abs(o.nowSeconds - ts) > (o.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  return signature.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
