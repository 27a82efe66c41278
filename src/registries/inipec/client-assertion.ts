import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import { CercapecError, ErrorCode } from '../../errors.ts';

/** How long the signed assertion is good for: InfoCamere's reference client uses 120 s. */
const ASSERTION_LIFETIME_S = 120;

export interface ClientAssertionOptions {
  privateKeyFile: string;
  certificateFile: string;
  clientId: string;
  /** The claim `aud`: InfoCamere's base path. */
  audience: string;
  scope: string;
}

/** Signs the JWS InfoCamere's /authentication exchanges for an access token. */
export interface ClientAssertion {
  sign(nowMs: number): Promise<string>;
}

/**
 * Reads the key and the certificate once, at start: a missing file, a key that is not a private
 * key, or a certificate that does not belong to the key stops the start with a message naming
 * the option, instead of failing at the first lookup.
 */
export function createClientAssertion(o: ClientAssertionOptions): ClientAssertion {
  const keyPem = readOption('privateKeyFile', o.privateKeyFile);
  const certPem = readOption('certificateFile', o.certificateFile);
  let pkcs8: string;
  let x5c: string;
  try {
    const keyObject = createPrivateKey(keyPem);
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(keyObject)) throw new Error('the certificate does not match the private key');
    // importPKCS8 wants PKCS#8; keys from older tools often come as PKCS#1 ("RSA PRIVATE KEY").
    pkcs8 = keyObject.export({ type: 'pkcs8', format: 'pem' }) as string;
    x5c = cert.raw.toString('base64');
  } catch (error) {
    throw new CercapecError(ErrorCode.invalidArgument, `registries file: sources.inipec: ${(error as Error).message}`);
  }
  let key: Promise<CryptoKey> | null = null;

  return {
    async sign(nowMs) {
      key ??= importPKCS8(pkcs8, 'RS256');
      const now = Math.floor(nowMs / 1000);
      return new SignJWT({ scope: o.scope })
        .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5c: [x5c], use: 'sig' })
        .setAudience(o.audience)
        .setIssuer(o.clientId)
        .setSubject(o.clientId)
        .setJti(randomUUID())
        .setExpirationTime(now + ASSERTION_LIFETIME_S)
        .sign(await key);
    },
  };
}

function readOption(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CercapecError(
      ErrorCode.invalidArgument,
      `registries file: sources.inipec.${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
