/** One field of a form or query string, checked: repeated or overlong values are protocol errors. */
export type FieldResult = { present: false } | { present: true; value: string } | { present: true; error: 'repeated' | 'too_long' };

const MAX_FIELD = 512;

export function readField(source: Record<string, unknown>, name: string): FieldResult {
  if (!Object.hasOwn(source, name)) return { present: false };
  const raw = source[name];
  if (Array.isArray(raw)) return { present: true, error: 'repeated' };
  const value = typeof raw === 'string' ? raw : raw == null ? '' : String(raw);
  if (value.length > MAX_FIELD) return { present: true, error: 'too_long' };
  return { present: true, value: value.trim() };
}
