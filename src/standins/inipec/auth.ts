import { randomBytes, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, importX509, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../../clock.ts';
import { json, type StandinRequest, type StandinResponse } from '../standin-server.ts';

export interface StandinAuthOptions {
  clock: Clock;
  /** The client id the stand-in knows; others are refused. */
  clientId: string;
  /** The `aud` the JWS must carry: the stand-in's base URL, known once it listens. */
  audience(): string;
  /** The one certificate trusted (the committed test certificate). */
  trustedCertPem: string;
  /** Lifetime of the access tokens it issues: short, so clients must renew. */
  tokenTtlSeconds: number;
}

const UNAUTHORIZED = json(401, { message: 'Unauthorized', code: '401' });

/**
 * InfoCamere's client authentication as the stand-in plays it: POST /authentication with a JWS
 * (RS256, x5c = the trusted certificate, aud, iss = sub = client_id, jti, exp, scope) buys a
 * short-lived access token; data calls need it as Bearer, with the scope it was issued for.
 */
export function createStandinAuth(o: StandinAuthOptions) {
  const trustedDer = new X509Certificate(o.trustedCertPem).raw.toString('base64');
  const trustedKey = importX509(o.trustedCertPem, 'RS256');
  // Tokens are HS256 JWTs under a secret of this process: revoking = changing the secret.
  let secret = randomBytes(32);
  const nowSeconds = () => Math.floor(o.clock.now() / 1000);

  async function verifyAssertion(r: StandinRequest): Promise<string | null> {
    const clientId = r.query.get('client_id');
    let jws = r.body.trim();
    if (jws.startsWith('"')) jws = String(JSON.parse(jws));
    const header = decodeProtectedHeader(jws);
    if (header.alg !== 'RS256' || header.typ !== 'JWT' || !Array.isArray(header.x5c) || header.x5c[0] !== trustedDer) return null;
    const audience = o.audience();
    const { payload } = await jwtVerify(jws, await trustedKey, {
      algorithms: ['RS256'],
      audience: [audience, `${audience}/`],
      issuer: o.clientId,
      subject: o.clientId,
      requiredClaims: ['exp', 'jti', 'scope'],
      currentDate: new Date(o.clock.now()),
    });
    if (clientId !== o.clientId || typeof payload.scope !== 'string') return null;
    return payload.scope;
  }

  return {
    async authenticate(r: StandinRequest): Promise<StandinResponse> {
      const scope = await verifyAssertion(r).catch(() => null);
      if (!scope) return UNAUTHORIZED;
      const now = nowSeconds();
      const token = await new SignJWT({ scope })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer('inipec-standin')
        .setSubject(o.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + o.tokenTtlSeconds)
        .sign(secret);
      // A bare string, as InfoCamere answers (and as PagoPA's client reads it).
      return { status: 200, headers: { 'content-type': 'application/json' }, body: token };
    },

    /** null when the call may go on; else the 401 to answer. */
    async authorize(r: StandinRequest): Promise<StandinResponse | null> {
      const bearer = /^Bearer (\S+)$/.exec(String(r.headers.authorization ?? ''))?.[1];
      if (!bearer) return UNAUTHORIZED;
      try {
        const { payload } = await jwtVerify(bearer, secret, { algorithms: ['HS256'], currentDate: new Date(o.clock.now()) });
        return payload.scope === r.headers.scope ? null : UNAUTHORIZED;
      } catch {
        return UNAUTHORIZED;
      }
    },

    /** Every token issued so far stops working (tests of the client's 401 handling). */
    revokeTokens() {
      secret = randomBytes(32);
    },
  };
}
