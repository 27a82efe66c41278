import { LookupStatus } from '../../lookups/lookup-status.ts';
import type { RequestsTable } from '../../store/schema.ts';
import { Messages } from './messages.ts';

/** The poll answer for a request, exactly as the original service words it. */
export function pollAnswer(request: Pick<RequestsTable, 'id' | 'status' | 'pec' | 'deleted_at'> & Partial<Pick<RequestsTable, 'error_code'>>): string {
  if (request.deleted_at !== null) return `ERROR|${Messages.cancelled}`;
  switch (request.status) {
    case LookupStatus.found:
      return `OK|${request.pec}|${Messages.found}`;
    case LookupStatus.notFound:
      return `OK||${Messages.notFound}`;
    case LookupStatus.failed:
      return `ERROR|${request.error_code === 'deadline_exceeded' ? Messages.deadlineExceeded : Messages.failed}`;
    case LookupStatus.cancelled:
      return `ERROR|${Messages.cancelled}`;
    default:
      return `WAIT|${request.id}`;
  }
}
