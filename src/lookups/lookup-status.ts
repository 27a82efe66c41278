import type { RequestStatus } from '../store/schema.ts';

export const LookupStatus = {
  queued: 'queued',
  running: 'running',
  waitingOperator: 'waiting_operator',
  found: 'found',
  notFound: 'not_found',
  failed: 'failed',
  cancelled: 'cancelled',
} as const satisfies Record<string, RequestStatus>;

/** States in which the request still waits for an answer (and can be cancelled with a refund). */
export const PENDING_STATUSES: readonly RequestStatus[] = ['queued', 'running', 'waiting_operator'];

export function isPending(status: RequestStatus): boolean {
  return PENDING_STATUSES.includes(status);
}

export const LOOKUP_QUEUE = 'lookup';
