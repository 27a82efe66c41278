import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./keys/', import.meta.url));

/** The stand-ins' test key material (src/standins/keys/README.md): public, for tests and the demo only. */
export const TEST_KEYS = {
  clientKeyFile: `${dir}client-key.pem`,
  clientCertFile: `${dir}client-cert.pem`,
  otherKeyFile: `${dir}other-key.pem`,
  clientKeyPem: () => readFileSync(`${dir}client-key.pem`, 'utf8'),
  clientCertPem: () => readFileSync(`${dir}client-cert.pem`, 'utf8'),
  otherKeyPem: () => readFileSync(`${dir}other-key.pem`, 'utf8'),
  /** The kid the demo's PDND client assertion carries. */
  kid: 'cercapec-standin-test-key',
};
