import { createHash } from 'node:crypto';

/**
 * PostgreSQL NOTIFY channels, namespaced by schema so installations (and test suites) sharing a
 * database do not hear each other. Channel names are identifiers: at most 63 bytes. A long
 * schema name is replaced by a hash rather than truncated, so two long names sharing a prefix
 * keep apart.
 */
export function channelName(kind: 'jobs' | 'answers' | 'auth', schema = 'public'): string {
  const name = `cercapec_${kind}_${schema}`;
  if (name.length <= 63 && /^[a-z0-9_]+$/.test(name)) return name;
  return `cercapec_${kind}_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}
