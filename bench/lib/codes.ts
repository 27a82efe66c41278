import { cf11CheckDigit } from '../../src/taxid/index.ts';

/** The n-th valid 11-digit code of a deterministic sequence (matricola n, office 001..100). */
export function codeAt(n: number, offset = 0): string {
  const m = n + offset + 1;
  const first10 = String(m % 10_000_000 || 1).padStart(7, '0') + String(1 + (Math.floor(m / 10_000_000) % 100)).padStart(3, '0');
  return first10 + cf11CheckDigit(first10);
}
