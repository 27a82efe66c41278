/**
 * A plausible e-mail address for a PEC box. Registries hold real addresses; this only keeps
 * garbage (names, phone numbers, a stray "Pec") out of the directory and out of answers.
 */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalizePec(input: string): string | null {
  const value = input.trim();
  if (value.length > 254 || !ADDRESS.test(value)) return null;
  const at = value.lastIndexOf('@');
  // Domains are case-insensitive; the local part is kept as written.
  return `${value.slice(0, at)}@${value.slice(at + 1).toLowerCase()}`;
}
