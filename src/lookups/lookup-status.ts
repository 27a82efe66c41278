/** The states of a lookup (requests.status): the column type is derived from this object. */
export const LookupStatus = {
  queued: 'queued',
  running: 'running',
  waitingOperator: 'waiting_operator',
  found: 'found',
  notFound: 'not_found',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type LookupStatus = (typeof LookupStatus)[keyof typeof LookupStatus];

/** States in which the request still waits for an answer (and can be cancelled with a refund). */
export const PENDING_STATUSES: readonly LookupStatus[] = [LookupStatus.queued, LookupStatus.running, LookupStatus.waitingOperator];

export function isPending(status: LookupStatus): boolean {
  return PENDING_STATUSES.includes(status);
}

export const LOOKUP_QUEUE = 'lookup';
