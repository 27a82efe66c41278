/**
 * How asking one source about one code went (attempts.outcome; a text column on both dialects,
 * no CHECK: skipped came later, for INAD and omocodic codes). The column type is derived from this object.
 */
export const AttemptOutcome = {
  found: 'found',
  notFound: 'not_found',
  transientError: 'transient_error',
  permanentError: 'permanent_error',
  /** The source cannot be asked about this code (Registry.skipReason, given in `error`). */
  skipped: 'skipped',
} as const;
export type AttemptOutcome = (typeof AttemptOutcome)[keyof typeof AttemptOutcome];
