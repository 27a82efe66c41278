/**
 * Why an upload was refused as a whole: `too_large` (over the row or byte limit: 413) or
 * `invalid` (unreadable file, no column of codes, no rows: 400). Invalid rows are not errors:
 * they are stored and reported.
 */
export class BatchError extends Error {
  constructor(readonly kind: 'too_large' | 'invalid', message: string) {
    super(message);
    this.name = 'BatchError';
  }
}

/** Parser failures become `invalid` with their message; our own refusals pass through. */
export function asBatchError(error: unknown, what: string): BatchError {
  if (error instanceof BatchError) return error;
  return new BatchError('invalid', `${what}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
}
