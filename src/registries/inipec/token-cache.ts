import { decodeJwt } from 'jose';
import type { Clock } from '../../clock.ts';
import type { HttpClient } from '../http-client.ts';
import { statusError } from '../http-client.ts';
import { RegistryError } from '../registry.ts';
import { createCachedToken, type CachedToken } from '../cached-token.ts';
import type { ClientAssertion } from './client-assertion.ts';

/** Renew this long before the token expires, so a call never leaves with a token about to die. */
const REFRESH_MARGIN_MS = 30_000;

export interface TokenCacheOptions {
  source: string;
  http: HttpClient;
  clock: Clock;
  assertion: ClientAssertion;
  /** {baseUrl}/authentication?client_id=… */
  authUrl: string;
  /** Used when the token is not a JWT with `exp`. */
  fallbackLifetimeMs: number;
  signal: AbortSignal;
}

/** InfoCamere's access token, fetched once and shared until shortly before it expires. */
export type TokenCache = CachedToken;

export function createTokenCache(o: TokenCacheOptions): TokenCache {
  // One /authentication call at a time: concurrent lookups wait for the same token.
  return createCachedToken(o.clock, async () => {
    const obtainedAt = o.clock.now();
    const res = await o.http.request({
      method: 'POST',
      url: o.authUrl,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/plain' },
      body: await o.assertion.sign(obtainedAt),
      signal: o.signal,
      maxBytes: 64 * 1024,
    });
    if (res.status === 401 || res.status === 403) {
      // Wrong key, certificate, client id or audience: asking again will not help.
      throw new RegistryError(o.source, false, `autenticazione rifiutata da InfoCamere (HTTP ${res.status})`, `auth_${res.status}`);
    }
    if (res.status !== 200) throw statusError(o.source, res, 'su /authentication');
    const token = unquote(res.text.trim());
    if (!token || /\s/.test(token)) throw new RegistryError(o.source, true, 'token di accesso non valido nella risposta', 'malformed');
    const expiresAt = expiryOf(token) ?? obtainedAt + o.fallbackLifetimeMs;
    const margin = Math.min(REFRESH_MARGIN_MS, Math.max(0, (expiresAt - obtainedAt) / 4));
    return { token, renewAt: expiresAt - margin };
  });
}

/** The token travels as a bare string; tolerate it wrapped as a JSON string too. */
function unquote(text: string): string {
  if (text.startsWith('"') && text.endsWith('"')) {
    try {
      return String(JSON.parse(text));
    } catch {
      return text;
    }
  }
  return text;
}

/** `exp` of a JWT token in epoch ms; null when the token is opaque. */
function expiryOf(token: string): number | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}
