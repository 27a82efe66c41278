import { randomBytes } from 'node:crypto';
import { jwtVerify, type CryptoKey, type JWTHeaderParameters } from 'jose';
import type { Clock } from '../../clock.ts';
import { json, type StandinRequest, type StandinResponse } from '../standin-server.ts';

export interface PdndTokenOptions {
  clock: Clock;
  /** The `aud` client assertions must carry. */
  audience: string;
  clientId: string;
  purposeId: string;
  /** Public keys by kid, as registered on the PDND client. */
  trustedKeys: ReadonlyMap<string, CryptoKey>;
  voucherTtlSeconds: number;
}

export interface PdndTokenEndpoint {
  /** POST token.oauth2 (form: client_id, client_assertion, client_assertion_type, grant_type). */
  handle(r: StandinRequest): Promise<StandinResponse>;
  /** Whether an Authorization header carries a voucher this endpoint issued and that has not expired. */
  accepts(authorization: string | undefined): boolean;
  /** Forgets every voucher issued (tests: the e-service starts refusing them). */
  revokeAll(): void;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * A PDND authorization server in miniature: it verifies the client assertion (RS256 signature
 * against the key registered for its kid, iss = sub = client_id, aud, exp, jti, purposeId) and
 * issues an opaque voucher that lives voucherTtlSeconds by the stand-in's clock. A malformed
 * request is 400; an assertion that does not verify is 401.
 */
export function createPdndTokenEndpoint(o: PdndTokenOptions): PdndTokenEndpoint {
  const vouchers = new Map<string, number>();

  async function handle(r: StandinRequest): Promise<StandinResponse> {
    if (r.method !== 'POST') return problem(405, 'Method not allowed');
    const form = new URLSearchParams(r.body);
    const clientId = form.get('client_id');
    const assertion = form.get('client_assertion');
    if (form.get('grant_type') !== 'client_credentials') return problem(400, 'grant_type must be client_credentials');
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) return problem(400, `client_assertion_type must be ${ASSERTION_TYPE}`);
    if (!clientId || !assertion) return problem(400, 'client_id and client_assertion are required');
    if (clientId !== o.clientId) return problem(401, 'Client not found');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, keyFor, {
        algorithms: ['RS256'],
        typ: 'JWT',
        issuer: clientId,
        subject: clientId,
        audience: o.audience,
        requiredClaims: ['jti', 'iat', 'exp'],
        currentDate: new Date(o.clock.now()),
      }));
    } catch (error) {
      return problem(401, `Client assertion validation failed: ${(error as { code?: string }).code ?? 'invalid'}: ${(error as Error).message}`);
    }
    if (typeof payload.purposeId !== 'string' || payload.purposeId === '') return problem(400, 'Client assertion without purposeId');
    if (payload.purposeId !== o.purposeId) return problem(400, 'Purpose not found for this client');
    const voucher = randomBytes(24).toString('base64url');
    const now = o.clock.now();
    for (const [v, expiresAt] of vouchers) if (expiresAt <= now) vouchers.delete(v);
    vouchers.set(voucher, now + o.voucherTtlSeconds * 1000);
    return json(200, { access_token: voucher, token_type: 'Bearer', expires_in: o.voucherTtlSeconds });
  }

  function keyFor(header: JWTHeaderParameters): CryptoKey {
    const key = header.kid ? o.trustedKeys.get(header.kid) : undefined;
    if (!key) throw Object.assign(new Error(`unknown kid ${header.kid ?? '(none)'}`), { code: 'ERR_UNKNOWN_KID' });
    return key;
  }

  return {
    handle,
    accepts(authorization) {
      const voucher = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      const expiresAt = voucher ? vouchers.get(voucher) : undefined;
      return expiresAt !== undefined && o.clock.now() < expiresAt;
    },
    revokeAll: () => vouchers.clear(),
  };
}

/** PDND answers errors as problem JSON with a list of error codes. */
function problem(status: number, detail: string): StandinResponse {
  const title = status === 400 ? 'Bad request' : status === 401 ? 'Unauthorized' : 'Error';
  return json(
    status,
    { type: 'about:blank', status, title, detail, errors: [{ code: `standin-${status}`, detail }] },
    { 'content-type': 'application/problem+json' },
  );
}
