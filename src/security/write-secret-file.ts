import { chmodSync, writeFileSync } from 'node:fs';

/**
 * Writes a file that holds secrets (registry credentials, keys) readable by its owner only:
 * created 0600, and an existing file tightened to 0600 before the secrets go in, since
 * writeFileSync's mode applies only to a file it creates. `serve` warns about a registries
 * file that others can read (check-file-permissions.ts): what cercapec writes must pass it.
 */
export function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, '', { mode: 0o600 });
  chmodSync(path, 0o600);
  writeFileSync(path, text);
}
