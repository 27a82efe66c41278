import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { Clock } from '../../clock.ts';
import { parseJson, statusError, type HttpClient } from '../http-client.ts';
import { RegistryError } from '../registry.ts';
import { createCachedToken, type CachedToken, type FetchedToken } from '../cached-token.ts';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface PdndVoucherOptions {
  /** Source id, for errors. */
  source: string;
  http: HttpClient;
  clock: Clock;
  tokenUrl: string;
  clientId: string;
  /** The id PDND gave the public key (the client assertion's `kid`). */
  kid: string;
  purposeId: string;
  audience: string;
  privateKeyPem: string;
}

/** PDND vouchers for one client and purpose, fetched when needed and reused until shortly before they expire. */
export type PdndVouchers = CachedToken;

/** How long our client assertion is valid: PDND only needs it for the one token call. */
const ASSERTION_TTL_SECONDS = 300;
/** Renew this long before expiry, capped at a tenth of the voucher's life (collaudo vouchers live 86,400 s, production 3,600 s). */
const RENEW_MARGIN_MS = 60_000;

/**
 * The PDND voucher flow: a client assertion (RS256 JWT, header {kid, alg, typ}, claims
 * {iss, sub = clientId, aud, purposeId, jti, iat, exp}) exchanged at the token endpoint for a
 * voucher {access_token, token_type, expires_in}. Concurrent callers share one token call.
 */
export function createPdndVouchers(o: PdndVoucherOptions): PdndVouchers {
  let key: Promise<CryptoKey> | null = null;

  async function signingKey(): Promise<CryptoKey> {
    key ??= importPKCS8(o.privateKeyPem, 'RS256').catch(() => {
      key = null;
      throw new RegistryError(o.source, false, 'chiave privata PDND non leggibile (serve una chiave RSA in PEM PKCS#8)', 'pdnd_key');
    });
    return key;
  }

  async function clientAssertion(): Promise<string> {
    const iat = Math.floor(o.clock.now() / 1000);
    return new SignJWT({ purposeId: o.purposeId })
      .setProtectedHeader({ kid: o.kid, alg: 'RS256', typ: 'JWT' })
      .setIssuer(o.clientId)
      .setSubject(o.clientId)
      .setAudience(o.audience)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
      .sign(await signingKey());
  }

  async function fetchVoucher(): Promise<FetchedToken> {
    const form = new URLSearchParams({
      client_id: o.clientId,
      client_assertion: await clientAssertion(),
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      grant_type: 'client_credentials',
    });
    const requestedAt = o.clock.now();
    // No caller's signal: the call serves every lookup waiting for a voucher; the read timeout bounds it.
    const res = await o.http.request({
      method: 'POST',
      url: o.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    if (res.status !== 200) {
      const error = statusError(o.source, res, 'dal token endpoint PDND');
      if (!error.transient) {
        throw new RegistryError(
          o.source,
          false,
          `PDND ha rifiutato la client assertion: ${error.message} (verificare clientId, kid, purposeId, audience e chiave)`,
          error.code,
        );
      }
      throw error;
    }
    const body = parseJson<{ access_token?: unknown; expires_in?: unknown }>(o.source, res);
    if (typeof body.access_token !== 'string' || body.access_token === '' || typeof body.expires_in !== 'number' || !(body.expires_in > 0)) {
      throw new RegistryError(o.source, true, 'risposta del token endpoint PDND non valida', 'malformed');
    }
    const lifeMs = body.expires_in * 1000;
    return { token: body.access_token, renewAt: requestedAt + lifeMs - Math.min(RENEW_MARGIN_MS, lifeMs / 10) };
  }

  return createCachedToken(o.clock, fetchVoucher);
}
